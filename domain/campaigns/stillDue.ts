import type { Clock } from '../ports/clock';
import type { Directory } from '../ports/directory';
import type { OutboundMessage } from './model';
import type { CampaignPreferences } from './ports';
import type { MethodSummaryReader } from './registrationNudges';

/** Why a reminder decided earlier is no longer sent. */
export type NotDueReason = 'opted_out' | 'snoozed' | 'not_in_directory' | 'expiry_changed' | 'registered' | 'reconfirmed';

/**
 * Right before a reminder or nudge goes out (it may have waited for quiet hours, the pacer or a busy queue): is it
 * still true? A user who stopped or snoozed the kind meanwhile, changed the password the reminder was about (a new
 * expiry date), registered enough methods, or re-confirmed them, is not told about something already dealt with.
 * Lockout and security alerts are always sent (R39: they cannot be switched off, and a lock that was already undone
 * is still news to its owner). A directory that cannot be read does not hold a reminder back: it was due when decided.
 */
export class StillDue {
  constructor(
    private readonly deps: {
      readonly preferences: CampaignPreferences;
      readonly directory: Pick<Directory, 'findUser' | 'readPasswordExpiry'>;
      readonly methods: MethodSummaryReader;
      readonly requiredMethods: number;
      readonly clock: Clock;
    },
  ) {}

  /** null = send it; else why not. */
  async check(m: OutboundMessage): Promise<NotDueReason | null> {
    if (m.to.kind !== 'user') return null;
    const card = m.card;
    if (card.kind !== 'expiry' && card.kind !== 'registration' && card.kind !== 'reconfirm') return null;
    const user = m.to.user;
    const pref = await this.deps.preferences.get(user, card.kind);
    if (pref.optedOut) return 'opted_out';
    if (pref.snoozedUntil !== null && pref.snoozedUntil > this.deps.clock.now()) return 'snoozed';
    if (card.kind === 'expiry') {
      try {
        const found = await this.deps.directory.findUser(user);
        if (!found) return 'not_in_directory';
        return (await this.deps.directory.readPasswordExpiry(found)) === card.expiresAt ? null : 'expiry_changed';
      } catch {
        return null;
      }
    }
    const s = await this.deps.methods.summary(user);
    if (card.kind === 'registration') return s.confirmed >= this.deps.requiredMethods ? 'registered' : null;
    // Re-confirmed (the oldest confirmation is newer now) or nothing left to re-confirm.
    return s.oldestConfirmedAt === null || s.oldestConfirmedAt > card.confirmedAt ? 'reconfirmed' : null;
  }
}
