import type { UserRef } from '../model/user';

/** Completed resets and unlocks per user in a sliding 24 h window (policy.resets.maxPerDay). */
export interface RecoveryCounter {
  /** How many resets/unlocks the user completed in the last 24 h. */
  countToday(user: UserRef): Promise<number>;
  /** Record one completed reset or unlock; returns the new count. */
  record(user: UserRef): Promise<number>;
}
