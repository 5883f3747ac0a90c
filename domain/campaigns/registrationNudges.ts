import type { UserRef } from '../model/user';
import type { DirectoryUser } from '../ports/directory';
import type { CampaignPolicy } from './campaignPolicy';
import { inAudience, type SelfServiceScope } from './campaignPolicy';
import { messageId, refOf, type ReminderGate } from './audience';
import type { CampaignScanner, ScanDecision } from './runScan';

const DAY = 86400_000;

/** What the scan needs to know of a user's security info: confirmed methods and the oldest confirmation. */
export interface MethodSummaryReader {
  summary(user: UserRef): Promise<{ readonly confirmed: number; readonly oldestConfirmedAt: number | null }>;
}

/**
 * A4: registration nudges and re-confirmation. A user in scope with fewer confirmed methods than a reset needs gets
 * "Register now / Snooze 1 day / Snooze 7 days" every `remindEveryDays`; a user whose oldest confirmation is older
 * than `methods.reconfirmAfterDays` gets a re-confirmation nudge. After `maxSnoozes` snoozes the card no longer
 * offers Snooze (enforcement). "Stop these reminders" and snoozes are the user's own (preferences).
 */
export class RegistrationNudgeScanner implements CampaignScanner {
  readonly name = 'registration';

  constructor(
    private readonly deps: {
      readonly tenantId: string;
      readonly policy: CampaignPolicy;
      /** The self-service scope (policy `scope`): nobody outside it is chosen. */
      readonly scope: SelfServiceScope;
      readonly requiredMethods: number;
      readonly reconfirmAfterDays: number;
      readonly methods: MethodSummaryReader;
      readonly gate: ReminderGate;
    },
  ) {}

  async decide(users: readonly DirectoryUser[], now: number): Promise<{ decisions: ScanDecision[] }> {
    const p = this.deps.policy;
    const decisions: ScanDecision[] = [];
    for (const u of users) {
      if (!u.enabled || !inAudience(u.groups, p.registration.audience, this.deps.scope)) continue;
      const user = refOf(this.deps.tenantId, u);
      const s = await this.deps.methods.summary(user);
      if (s.confirmed < this.deps.requiredMethods) {
        if (!p.registration.enabled) continue;
        const gate = await this.deps.gate.check(user, 'registration', now);
        if (!gate) continue;
        const every = p.registration.remindEveryDays * DAY;
        const id = messageId('registration', user.tenantId, user.objectId, Math.floor(now / every));
        const canSnooze = p.registration.maxSnoozes === 0 || gate.snoozes < p.registration.maxSnoozes;
        decisions.push({
          toldKey: messageId('registration', user.tenantId, user.objectId),
          toldTtlMs: every,
          message: {
            id,
            tenantId: user.tenantId,
            to: { kind: 'user', user },
            card: { kind: 'registration', confirmed: s.confirmed, required: this.deps.requiredMethods, canSnooze },
            createdAt: now,
            ...(gate.notBefore > now ? { notBefore: gate.notBefore } : {}),
          },
        });
        continue;
      }
      const after = this.deps.reconfirmAfterDays;
      if (!p.reconfirm.enabled || after === 0 || s.oldestConfirmedAt === null || now - s.oldestConfirmedAt < after * DAY) continue;
      const gate = await this.deps.gate.check(user, 'reconfirm', now);
      if (!gate) continue;
      const every = p.reconfirm.remindEveryDays * DAY;
      const canSnooze = p.reconfirm.maxSnoozes === 0 || gate.snoozes < p.reconfirm.maxSnoozes;
      decisions.push({
        toldKey: messageId('reconfirm', user.tenantId, user.objectId),
        toldTtlMs: every,
        message: {
          id: messageId('reconfirm', user.tenantId, user.objectId, Math.floor(now / every)),
          tenantId: user.tenantId,
          to: { kind: 'user', user },
          card: { kind: 'reconfirm', confirmedAt: s.oldestConfirmedAt, canSnooze },
          createdAt: now,
          ...(gate.notBefore > now ? { notBefore: gate.notBefore } : {}),
        },
      });
    }
    return { decisions };
  }
}
