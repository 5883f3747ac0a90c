import type { UserRef } from '../model/user';
import type { Clock } from '../ports/clock';
import type { CampaignPolicy } from './campaignPolicy';
import type { OptionalKind } from './model';
import type { CampaignPreferences } from './ports';

const DAY = 86400_000;

export type SnoozeResult =
  | { readonly ok: true; readonly until: number }
  /** Enforcement: this user used their snoozes (policy maxSnoozes). */
  | { readonly ok: false; readonly reason: 'limit_reached' | 'bad_days' };

/**
 * What a user can do with a reminder themselves: snooze it 1 or 7 days, or stop that kind (and start it again).
 * Lockout and security alerts are not optional kinds, so they cannot be snoozed or stopped (R39). A one-tap action
 * never acts on the account: Unlock / Change password / Register open the verified journeys in the chat.
 */
export class CampaignActions {
  constructor(
    private readonly deps: {
      readonly policy: CampaignPolicy;
      readonly preferences: CampaignPreferences;
      readonly clock: Clock;
    },
  ) {}

  async snooze(user: UserRef, kind: OptionalKind, days: number): Promise<SnoozeResult> {
    if (days !== 1 && days !== 7) return { ok: false, reason: 'bad_days' };
    const max = kind === 'registration' ? this.deps.policy.registration.maxSnoozes : kind === 'reconfirm' ? this.deps.policy.reconfirm.maxSnoozes : 0;
    if (max > 0 && (await this.deps.preferences.get(user, kind)).snoozes >= max) return { ok: false, reason: 'limit_reached' };
    const until = this.deps.clock.now() + days * DAY;
    await this.deps.preferences.snooze(user, kind, until);
    return { ok: true, until };
  }

  async stop(user: UserRef, kind: OptionalKind): Promise<void> {
    await this.deps.preferences.optOut(user, kind);
  }

  async resume(user: UserRef, kind: OptionalKind): Promise<void> {
    await this.deps.preferences.optIn(user, kind);
  }
}
