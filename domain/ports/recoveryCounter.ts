import type { UserRef } from '../model/user';

/**
 * Completed resets and unlocks per user in a sliding window (C6: policy.resets.maxPerWindow per windowDays). The
 * window's length is the caller's (domain/policy/recoveryCap.ts); the store keeps each completion at least that long.
 */
export interface RecoveryCounter {
  /** The times (epoch ms, ascending) of the user's completed resets/unlocks within the last `windowMs`. */
  recent(user: UserRef, windowMs: number): Promise<readonly number[]>;
  /** Record one completed reset or unlock now; returns how many are in the window, this one included. */
  record(user: UserRef, windowMs: number): Promise<number>;
}
