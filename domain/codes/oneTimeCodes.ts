import { fail, ok, type Result } from '../errors';
import type { CodeChannel } from '../model/methods';
import type { UserRef } from '../model/user';
import { maskDestination } from '../methods/registeredMethod';
import type { Policy } from '../policy/policy';
import type { AuditLog } from '../ports/auditLog';
import type { Clock, RandomSource } from '../ports/clock';
import type { CodeSender } from '../ports/codeSender';
import type { DestinationGuard } from '../ports/destinationGuard';
import type { SendThrottle, ThrottleBucket } from '../ports/throttle';
import type { VerificationStore } from '../ports/verificationStore';
import { CODE_DIGITS, isCodeFormat, normaliseCode } from './codeFormat';

export { CODE_DIGITS } from './codeFormat';

export interface IssueCodeRequest {
  readonly user: UserRef;
  readonly purpose: 'register' | 'verify';
  readonly methodId: string;
  readonly channel: CodeChannel;
  readonly destination: string;
  readonly locale: 'en' | 'nl';
  readonly correlationId: string;
  /** Method kind for the audit event (optional). */
  readonly methodKind?: string;
}

export interface CheckCodeRequest {
  readonly user: UserRef;
  readonly purpose: 'register' | 'verify';
  readonly methodId: string;
  readonly code: string;
  readonly correlationId: string;
  readonly methodKind?: string;
}

export type IssueRefusal = 'throttled' | 'destination_refused' | 'send_failed';
export type CheckRefusal = 'invalid' | 'expired' | 'too_many_tries' | 'no_code';

export interface OneTimeCodeDeps {
  readonly store: VerificationStore;
  readonly sender: CodeSender;
  readonly throttle: SendThrottle;
  readonly guard: DestinationGuard;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly policy: Policy;
}

/**
 * One-time codes for registration and verification (R5–R8, R10, R11, F15, F17), shared by security info,
 * verification and reset. Codes are never returned, logged or audited; only their HMAC is stored (by the store).
 */
export class OneTimeCodeService {
  constructor(private readonly deps: OneTimeCodeDeps) {}

  /** The send buckets of R10 for one request. */
  buckets(user: UserRef, channel: CodeChannel, destination: string): readonly ThrottleBucket[] {
    const t = this.deps.policy.throttles;
    return [
      { name: 'send-gap', user, subject: channel, limit: 1, windowSeconds: t.minSecondsBetweenSends },
      { name: 'send-hour', user, subject: channel, limit: t.sendsPerHourPerChannel, windowSeconds: 3600 },
      { name: 'send-dest-day', subject: destination, limit: t.sendsPerDayPerDestination, windowSeconds: 86_400 },
    ];
  }

  /**
   * Create a code, store its HMAC and send it. Over a throttle: 'throttled' with `retryAt` and no provider call.
   * A provider failure is not retried and still counts toward the throttles (F15).
   */
  async issue(
    req: IssueCodeRequest,
  ): Promise<Result<{ expiresAt: number; maskedDestination: string }, IssueRefusal>> {
    const { store, sender, throttle, guard, audit, clock, random, policy } = this.deps;
    const base = {
      correlationId: req.correlationId,
      user: req.user,
      ...(req.methodKind ? { methodKind: req.methodKind } : {}),
    };
    const detail = { channel: req.channel, purpose: req.purpose };
    const normalised = guard.normalise(req.channel, req.destination);
    if (!normalised.ok) {
      await audit.record({ ...base, type: 'code.send', outcome: 'refused', reason: `destination_${normalised.reason}`, detail });
      return fail('destination_refused');
    }
    const masked = maskDestination(req.channel, normalised.value);
    const limited = await throttle.take(this.buckets(req.user, req.channel, normalised.value));
    if (!limited.ok) {
      const retryAt = clock.now() + limited.retryAfterMs;
      await audit.record({ ...base, type: 'code.send', outcome: 'refused', reason: 'throttled', detail: { ...detail, to: masked } });
      return fail('throttled', retryAt);
    }
    const admitted = await guard.admit(req.channel, normalised.value, req.correlationId);
    if (!admitted.ok) {
      await audit.record({ ...base, type: 'code.send', outcome: 'refused', reason: `destination_${admitted.reason}`, detail: { ...detail, to: masked } });
      return admitted.reason === 'prefix_velocity' ? fail('throttled', admitted.retryAt ?? clock.now() + 3_600_000) : fail('destination_refused');
    }
    const code = String(random.int(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0');
    const { expiresAt } = await store.create(
      { user: req.user, purpose: req.purpose, methodId: req.methodId },
      code,
      policy.codes.lifetimeSeconds,
    );
    try {
      await sender.send({
        channel: req.channel,
        destination: admitted.value,
        code,
        lifetimeMinutes: Math.round(policy.codes.lifetimeSeconds / 60),
        locale: req.locale,
        purpose: req.purpose,
        correlationId: req.correlationId,
        user: req.user,
      });
    } catch (e) {
      const reason = e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : 'sender_error';
      await audit.record({ ...base, type: 'code.send', outcome: 'failure', reason, detail: { ...detail, to: masked } });
      return fail('send_failed');
    }
    // Country and velocity prefix (never the full number) let the insights count sends against the R30 baseline.
    const where = { ...(admitted.country ? { country: admitted.country } : {}), ...(admitted.prefix ? { prefix: admitted.prefix } : {}) };
    await audit.record({ ...base, type: 'code.send', outcome: 'success', detail: { ...detail, to: masked, ...where } });
    return ok({ expiresAt, maskedDestination: masked });
  }

  /** Check a submitted code: the try is counted before comparing; a match consumes the code (R7, R8). */
  async check(req: CheckCodeRequest): Promise<Result<void, CheckRefusal>> {
    const { store, audit, policy } = this.deps;
    const base = {
      correlationId: req.correlationId,
      user: req.user,
      ...(req.methodKind ? { methodKind: req.methodKind } : {}),
    };
    const slot = { user: req.user, purpose: req.purpose, methodId: req.methodId };
    // Malformed input still counts as a try, so guessing by format games is not free.
    const candidate = isCodeFormat(req.code) ? normaliseCode(req.code) : '-';
    const outcome = await store.attempt(slot, candidate, policy.codes.maxTries);
    if (outcome === 'ok') {
      await audit.record({ ...base, type: 'code.check', outcome: 'success', detail: { purpose: req.purpose } });
      return ok(undefined);
    }
    await audit.record({ ...base, type: 'code.check', outcome: 'failure', reason: outcome, detail: { purpose: req.purpose } });
    return fail(outcome);
  }
}
