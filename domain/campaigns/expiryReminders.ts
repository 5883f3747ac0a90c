import type { DirectoryUser } from '../ports/directory';
import type { CampaignPolicy } from './campaignPolicy';
import { inAudience, type SelfServiceScope } from './campaignPolicy';
import { messageId, refOf, type ReminderGate } from './audience';
import type { ScanDirectory } from './ports';
import type { CampaignScanner, ScanDecision } from './runScan';

const DAY = 86400_000;

/**
 * E3: password-expiry reminders. A user whose password expires within one of the policy's steps (T-14/7/3/1 days)
 * gets one reminder per step per expiry date, outside quiet hours, unless they snoozed or stopped them. "Change it
 * now" in the card starts the reset journey (verification per policy, then the secure password entry) — the card
 * itself changes nothing. A changed password has a new expiry date, so its steps start over.
 */
export class ExpiryReminderScanner implements CampaignScanner {
  readonly name = 'expiry';

  constructor(
    private readonly deps: {
      readonly tenantId: string;
      readonly policy: CampaignPolicy;
      /** The self-service scope (policy `scope`): nobody outside it is chosen. */
      readonly scope: SelfServiceScope;
      readonly directory: Pick<ScanDirectory, 'readPasswordExpiry'>;
      readonly gate: ReminderGate;
    },
  ) {}

  /** The step a password is in: the smallest of `daysBefore` that is ≥ the days left; null = not yet, or expired. */
  static step(expiresAt: number, now: number, daysBefore: readonly number[]): { days: number; daysLeft: number } | null {
    if (expiresAt <= now) return null;
    const daysLeft = Math.ceil((expiresAt - now) / DAY);
    const steps = [...daysBefore].sort((a, b) => a - b).filter((d) => d >= daysLeft);
    const days = steps[0];
    return days === undefined ? null : { days, daysLeft };
  }

  async decide(users: readonly DirectoryUser[], now: number): Promise<{ decisions: ScanDecision[] }> {
    const p = this.deps.policy.expiry;
    const decisions: ScanDecision[] = [];
    if (!p.enabled) return { decisions };
    for (const u of users) {
      if (!u.enabled || !inAudience(u.groups, p.audience, this.deps.scope)) continue;
      const expiresAt = await this.deps.directory.readPasswordExpiry(u);
      if (expiresAt === null) continue;
      const step = ExpiryReminderScanner.step(expiresAt, now, p.daysBefore);
      if (!step) continue;
      const user = refOf(this.deps.tenantId, u);
      const gate = await this.deps.gate.check(user, 'expiry', now);
      if (!gate) continue;
      const id = messageId('expiry', user.tenantId, user.objectId, expiresAt, step.days);
      decisions.push({
        toldKey: id,
        toldTtlMs: expiresAt - now + DAY,
        message: {
          id,
          tenantId: user.tenantId,
          to: { kind: 'user', user },
          card: { kind: 'expiry', expiresAt, daysLeft: step.daysLeft },
          createdAt: now,
          ...(gate.notBefore > now ? { notBefore: gate.notBefore } : {}),
        },
      });
    }
    return { decisions };
  }
}
