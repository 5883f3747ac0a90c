import type { Clock } from '../ports/clock';
import type { DomainEvent } from '../events';
import type { UserRef } from '../model/user';
import type { CampaignPolicy } from './campaignPolicy';
import { messageId } from './audience';
import type { SecurityAlertKind } from './model';
import type { CampaignLedger, CampaignOutbox } from './ports';

/** At most N alerts of one kind per hour, across all workers (rate-limiter-flexible in Redis). */
export interface AlertRateLimit {
  take(kind: SecurityAlertKind): Promise<boolean>;
}

export interface SecurityAlertInput {
  readonly kind: SecurityAlertKind;
  /** Pseudonymous subject (user hash, prefix): the dedupe key and what the card shows. */
  readonly subject: string;
  readonly tenantId: string;
  readonly correlationId: string;
  readonly detail?: Readonly<Record<string, string | number>>;
  /** When it happened (epoch ms; default: when it is raised): where the alert's audit link looks. */
  readonly at?: number;
}

export type RaiseAlertResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'disabled' | 'duplicate' | 'rate_limited' };

/**
 * E2: a security alert card to the configured security-alert channel (through the delivery queue): the pseudonymous
 * id, what happened, the correlation id to find it in the audit trail. The same alert about the same subject is
 * posted once per `dedupeMinutes`; each kind at most `perKindPerHour` times an hour (the rest stay in the audit log).
 */
export class RaiseSecurityAlert {
  constructor(
    private readonly deps: {
      readonly policy: CampaignPolicy;
      readonly ledger: CampaignLedger;
      readonly limit: AlertRateLimit;
      readonly outbox: CampaignOutbox;
      readonly clock: Clock;
    },
  ) {}

  /**
   * The same policy, dedupe and rate limit without queueing a card, for a poster that delivers the alert itself
   * (the helpdesk bot's security-channel post, bot/helpdesk): ok = post it now; the alert is then marked as told.
   */
  async admit(a: SecurityAlertInput): Promise<RaiseAlertResult> {
    const p = this.deps.policy.securityAlerts;
    if (!p.enabled || !p.kinds.includes(a.kind)) return { ok: false, reason: 'disabled' };
    return this.claim(a, p.dedupeMinutes * 60_000);
  }

  /**
   * Dedupe, then the hourly cap. The told mark is taken first and atomically (parallel reports of one subject, on
   * any instance, get one `ok`): checking and marking apart let twenty taps of "This wasn't me" post twenty times and
   * use up the kind's cap for everyone else. A report the cap refuses gives its mark back (it was not posted).
   */
  private async claim(a: SecurityAlertInput, windowMs: number): Promise<RaiseAlertResult> {
    const key = messageId('alert', a.kind, a.subject);
    if (!(await this.deps.ledger.markToldIfNew(key, windowMs))) return { ok: false, reason: 'duplicate' };
    let taken: boolean;
    try {
      taken = await this.deps.limit.take(a.kind);
    } catch (e) {
      await this.deps.ledger.forget([key]).catch(() => undefined);
      throw e;
    }
    if (!taken) {
      await this.deps.ledger.forget([key]);
      return { ok: false, reason: 'rate_limited' };
    }
    return { ok: true };
  }

  async raise(a: SecurityAlertInput): Promise<RaiseAlertResult> {
    const p = this.deps.policy.securityAlerts;
    if (!p.enabled || !p.kinds.includes(a.kind)) return { ok: false, reason: 'disabled' };
    const now = this.deps.clock.now();
    const windowMs = p.dedupeMinutes * 60_000;
    const claimed = await this.claim(a, windowMs);
    if (!claimed.ok) return claimed;
    const key = messageId('alert', a.kind, a.subject);
    const enqueued = this.deps.outbox.enqueue([
      {
        id: messageId('alert', a.kind, a.subject, Math.floor(now / windowMs)),
        tenantId: a.tenantId,
        to: { kind: 'securityChannel' },
        card: { kind: 'securityAlert', alert: a.kind, subject: a.subject, correlationId: a.correlationId, detail: a.detail ?? {}, at: a.at ?? now },
        createdAt: now,
      },
    ]);
    // Not queued: not told either, so the next report of it is posted.
    await enqueued.catch(async (e: unknown) => {
      await this.deps.ledger.forget([key]).catch(() => undefined);
      throw e;
    });
    return { ok: true };
  }
}

/**
 * The E2 alert a domain event stands for (rule 18: routed on the typed event, never on audit names), or null for an
 * event that is no E2 alert. `pseudonym` turns a user into the pseudonymous id the channel may see (R20).
 */
export function securityAlertOf(e: DomainEvent, pseudonym: (user: UserRef) => string): SecurityAlertInput | null {
  const base = { correlationId: e.correlationId, at: e.at };
  switch (e.type) {
    case 'shared_bucket_exceeded':
      // One alert per bucket per dedupe window, whoever trips it (the prefix is no personal data: a few digits).
      return { ...base, kind: 'shared_bucket_exceeded', subject: `${e.bucket}:${e.prefix}`, tenantId: '', detail: { prefix: e.prefix, limit: e.limit } };
    case 'privileged_reset':
      return { ...base, kind: 'privileged_reset', subject: pseudonym(e.user), tenantId: e.user.tenantId };
    case 'verification_blocked':
      return { ...base, kind: 'verification_blocked', subject: pseudonym(e.user), tenantId: e.user.tenantId };
    case 'not_me_reported':
      return { ...base, kind: 'not_me_reported', subject: `${pseudonym(e.user)}:${e.about}`, tenantId: e.user.tenantId, detail: { about: e.about } };
    case 'security_alert':
      return e.alert === 'send_spike' ? { ...base, kind: 'send_spike', subject: String(e.detail?.hour ?? e.correlationId), tenantId: '' } : null;
    default:
      return null;
  }
}

/** Hourly send counts (the R30 counters the phone guard keeps). */
export interface HourlyCounts {
  read(hourIndexes: readonly number[]): Promise<readonly number[]>;
}

/**
 * E2 / R30: an alert when this hour's SMS and voice sends exceed `spikeFactor` × the 7-day hourly average (never
 * below `minBaseline` per hour, so a quiet week does not alert on a handful). Run periodically by the worker; the
 * alert's dedupe makes it once per hour.
 */
export class WatchSendSpikes {
  constructor(
    private readonly deps: {
      readonly policy: CampaignPolicy;
      readonly counts: HourlyCounts;
      readonly alerts: RaiseSecurityAlert;
      readonly clock: Clock;
      readonly tenantId: string;
      readonly minBaseline?: number;
    },
  ) {}

  async check(correlationId: string): Promise<{ readonly spike: boolean; readonly count: number; readonly baseline: number }> {
    const hour = Math.floor(this.deps.clock.now() / 3600_000);
    const [count = 0, ...past] = await this.deps.counts.read(Array.from({ length: 169 }, (_, i) => hour - i));
    const baseline = Math.max(this.deps.minBaseline ?? 1, past.reduce((a, b) => a + b, 0) / 168);
    const spike = count > this.deps.policy.securityAlerts.spikeFactor * baseline;
    if (spike)
      await this.deps.alerts.raise({
        kind: 'send_spike',
        subject: `hour-${hour}`,
        tenantId: this.deps.tenantId,
        correlationId,
        detail: { hourCount: count, baselinePerHour: Math.round(baseline * 100) / 100 },
      });
    return { spike, count, baseline };
  }
}
