import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { phonePrefix } from '../../domain/codes/throttleKeys';
import type { CodeChannel } from '../../domain/model/methods';
import type { Policy } from '../../domain/policy/policy';
import type { AuditLog } from '../../domain/ports/auditLog';
import type { Clock } from '../../domain/ports/clock';
import type { DestinationGuard, DestinationRefusal } from '../../domain/ports/destinationGuard';
import type { SendThrottle, ThrottleBucket } from '../../domain/ports/throttle';

/** Global hourly send counts (all phone sends), kept ≥ 8 days, for the R30 baseline alert. */
export interface HourlyCounter {
  increment(hourIndex: number): Promise<number>;
  read(hourIndexes: readonly number[]): Promise<readonly number[]>;
}

export interface TelephonyAlert {
  readonly at: number;
  readonly hourCount: number;
  readonly baselinePerHour: number;
}

const HOUR_MS = 3_600_000;
const MAX_EMAIL = 254;
// Deliberately strict: one @, no spaces, no control characters (header injection), a dotted domain.
const EMAIL_RE = /^[^\s@<>()[\]\\,;:"\p{Cc}]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/u;

export interface PhoneGuardOptions {
  /** Country assumed for numbers typed without +<country code>. */
  readonly defaultCountry?: string;
  /** Alert when the hour's sends exceed this multiple of the 7-day hourly average (R30: 3). */
  readonly alertFactor?: number;
  /** Baseline never taken below this (so a quiet week does not alert on the first handful of sends). */
  readonly minBaselinePerHour?: number;
}

/**
 * DestinationGuard for phones and e-mail (R30): E.164 via libphonenumber-js, country allow-list, premium-rate
 * ranges (library type and the policy's prefixes), per-prefix velocity, and an audit alert when the hourly send
 * count exceeds 3× its 7-day baseline.
 */
export class PhoneGuard implements DestinationGuard {
  private readonly alerts: TelephonyAlert[] = [];
  private readonly defaultCountry: string;
  private readonly alertFactor: number;
  private readonly minBaseline: number;

  constructor(
    private readonly policy: Policy,
    private readonly throttle: SendThrottle,
    private readonly hourly: HourlyCounter,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    options: PhoneGuardOptions = {},
  ) {
    this.defaultCountry = options.defaultCountry ?? 'NL';
    this.alertFactor = options.alertFactor ?? 3;
    this.minBaseline = options.minBaselinePerHour ?? 1;
  }

  normalise(
    channel: CodeChannel,
    raw: string,
  ): { ok: true; value: string } | { ok: false; reason: Exclude<DestinationRefusal, 'prefix_velocity'> } {
    if (channel === 'email') {
      const a = raw.trim();
      if (a.length > MAX_EMAIL || !EMAIL_RE.test(a)) return { ok: false, reason: 'invalid' };
      const at = a.lastIndexOf('@');
      return { ok: true, value: `${a.slice(0, at)}@${a.slice(at + 1).toLowerCase()}` };
    }
    if (raw.length > 40 || /[\r\n]/.test(raw)) return { ok: false, reason: 'invalid' };
    const p = parsePhoneNumberFromString(raw.trim(), this.defaultCountry as Parameters<typeof parsePhoneNumberFromString>[1]);
    if (!p || !p.isValid()) return { ok: false, reason: 'invalid' };
    const e164 = p.number;
    if (!p.country || !this.policy.phone.allowedCountries.includes(p.country)) return { ok: false, reason: 'country_not_allowed' };
    const type = p.getType();
    if (type === 'PREMIUM_RATE' || type === 'SHARED_COST' || this.policy.phone.blockedPrefixes.some((b) => e164.startsWith(b)))
      return { ok: false, reason: 'premium_rate' };
    return { ok: true, value: e164 };
  }

  plan(
    channel: CodeChannel,
    raw: string,
  ):
    | { ok: true; value: string; country?: string; prefix?: string; buckets: readonly ThrottleBucket[] }
    | { ok: false; reason: Exclude<DestinationRefusal, 'prefix_velocity'> } {
    const n = this.normalise(channel, raw);
    if (!n.ok) return n;
    if (channel === 'email') return { ...n, buckets: [] };
    // The shared bucket's key is the canonical E.164 prefix (R33), never the number as typed.
    const prefix = phonePrefix(n.value);
    const country = parsePhoneNumberFromString(n.value)?.country;
    return { ...n, prefix, ...(country ? { country } : {}), buckets: [this.prefixBucket(prefix)] };
  }

  private prefixBucket(prefix: string): ThrottleBucket {
    return { name: 'phone-prefix', subject: prefix, limit: this.policy.phone.sendsPerPrefixPerHour, windowSeconds: 3600 };
  }

  async counted(channel: CodeChannel, _value: string, correlationId: string): Promise<void> {
    if (channel !== 'email') await this.countAndAlert(correlationId);
  }

  async admit(
    channel: CodeChannel,
    raw: string,
    correlationId: string,
  ): Promise<
    { ok: true; value: string; country?: string; prefix?: string } | { ok: false; reason: DestinationRefusal; retryAt?: number; prefix?: string; limit?: number }
  > {
    const p = this.plan(channel, raw);
    if (!p.ok) return p;
    const { buckets, ...admitted } = p;
    if (buckets.length === 0) return admitted;
    const t = await this.throttle.take(buckets);
    if (!t.ok) return { ok: false, reason: 'prefix_velocity', retryAt: this.clock.now() + t.retryAfterMs, ...(p.prefix ? { prefix: p.prefix } : {}), limit: this.policy.phone.sendsPerPrefixPerHour };
    await this.countAndAlert(correlationId);
    return admitted;
  }

  private async countAndAlert(correlationId: string): Promise<void> {
    const now = this.clock.now();
    const hour = Math.floor(now / HOUR_MS);
    // Independent: issued together (one round trip, issue 15).
    const [count, past] = await Promise.all([this.hourly.increment(hour), this.hourly.read(Array.from({ length: 168 }, (_, i) => hour - 1 - i))]);
    const baseline = Math.max(this.minBaseline, past.reduce((a, b) => a + b, 0) / 168);
    // Alert once per hour: the first send that crosses the line.
    if (count > this.alertFactor * baseline && count - 1 <= this.alertFactor * baseline) {
      const alert = { at: now, hourCount: count, baselinePerHour: Math.round(baseline * 100) / 100 };
      this.alerts.push(alert);
      await this.audit.record({
        type: 'telephony.alert',
        correlationId,
        outcome: 'info',
        reason: 'hourly_sends_above_baseline',
        detail: { hourCount: alert.hourCount, baselinePerHour: alert.baselinePerHour },
      });
    }
  }

  /** Alerts raised by this instance (also in the audit log), newest last. */
  recentAlerts(): readonly TelephonyAlert[] {
    return [...this.alerts];
  }

  /** Is the current hour above the alert line? (readiness/doctor pages ask this) */
  async isAlerting(): Promise<boolean> {
    const hour = Math.floor(this.clock.now() / HOUR_MS);
    const [count = 0, ...past] = await this.hourly.read(Array.from({ length: 169 }, (_, i) => hour - i));
    const baseline = Math.max(this.minBaseline, past.reduce((a, b) => a + b, 0) / 168);
    return count > this.alertFactor * baseline;
  }
}
