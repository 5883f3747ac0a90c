import type { UserRef } from '../model/user';
import type { Clock } from '../ports/clock';
import type { DomainEvents } from '../events';
import type { CampaignPolicy } from './campaignPolicy';
import type { OptionalKind } from './model';
import type { CampaignPreferences, SentCards } from './ports';

const DAY = 86400_000;

/** The card the button came from was never sent to this user (forged, copied from someone else, or long gone). */
type NotSent = { readonly ok: false; readonly reason: 'not_sent' };

export type SnoozeResult =
  | { readonly ok: true; readonly until: number }
  /** Enforcement: this user used their snoozes (policy maxSnoozes). */
  | { readonly ok: false; readonly reason: 'limit_reached' | 'bad_days' }
  | NotSent;

export type CardActionResult = { readonly ok: true } | NotSent;

export type NotMeResult = { readonly ok: true } | NotSent | { readonly ok: false; readonly reason: 'already_reported' };

/**
 * What a user can do with a reminder themselves: snooze it 1 or 7 days, or stop that kind (and start it again), and
 * say "this wasn't me" about a lockout alert. A card's button acts only for the user the card was sent to, and only
 * for a card of that kind (R39): its message id is checked against the cards sent to this user. Lockout and
 * security alerts are not optional kinds, so they cannot be snoozed or stopped. A one-tap action never acts on the
 * account: Unlock / Change password / Register open the verified journeys in the chat.
 */
export class CampaignActions {
  constructor(
    private readonly deps: {
      readonly policy: CampaignPolicy;
      readonly preferences: CampaignPreferences;
      readonly sentCards: SentCards;
      readonly events: Pick<DomainEvents, 'publish'>;
      readonly clock: Clock;
    },
  ) {}

  private async sentTo(user: UserRef, ref: string, kind: string): Promise<boolean> {
    return (await this.deps.sentCards.kindOf(user, ref)) === kind;
  }

  async snooze(user: UserRef, kind: OptionalKind, days: number, ref: string): Promise<SnoozeResult> {
    if (days !== 1 && days !== 7) return { ok: false, reason: 'bad_days' };
    if (!(await this.sentTo(user, ref, kind))) return { ok: false, reason: 'not_sent' };
    const max = kind === 'registration' ? this.deps.policy.registration.maxSnoozes : kind === 'reconfirm' ? this.deps.policy.reconfirm.maxSnoozes : 0;
    if (max > 0 && (await this.deps.preferences.get(user, kind)).snoozes >= max) return { ok: false, reason: 'limit_reached' };
    const until = this.deps.clock.now() + days * DAY;
    await this.deps.preferences.snooze(user, kind, until);
    return { ok: true, until };
  }

  /** "Stop these reminders" on a card: that card's kind, for its recipient. */
  async stop(user: UserRef, kind: OptionalKind, ref: string): Promise<CardActionResult> {
    if (!(await this.sentTo(user, ref, kind))) return { ok: false, reason: 'not_sent' };
    await this.deps.preferences.optOut(user, kind);
    return { ok: true };
  }

  /** "Stop these reminders" typed in the user's own chat: every optional kind, for that user. */
  async stopAll(user: UserRef, kinds: readonly OptionalKind[]): Promise<void> {
    for (const k of kinds) await this.deps.preferences.optOut(user, k);
  }

  async resume(user: UserRef, kind: OptionalKind): Promise<void> {
    await this.deps.preferences.optIn(user, kind);
  }

  /**
   * "This wasn't me" on a lockout alert: only on a lockout card sent to this user, once per card. Publishes
   * `not_me_reported` (the security channel hears it); changes nothing on the account.
   */
  async reportNotMe(user: UserRef, ref: string, correlationId: string): Promise<NotMeResult> {
    if (!(await this.sentTo(user, ref, 'lockout'))) return { ok: false, reason: 'not_sent' };
    if (!(await this.deps.sentCards.actOnce(user, ref, 'notMe', 30 * DAY))) return { ok: false, reason: 'already_reported' };
    this.deps.events.publish({ type: 'not_me_reported', at: this.deps.clock.now(), correlationId, user, about: 'lockout' });
    return { ok: true };
  }
}
