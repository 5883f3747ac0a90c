import { SsprError, fail, ok, type Result } from '../errors';
import type { CodeChannel } from '../model/methods';
import type { UserRef } from '../model/user';
import { maskDestination } from '../methods/registeredMethod';
import type { Policy } from '../policy/policy';
import type { DomainEvents, EventOf } from '../events';
import type { AuditLog } from '../ports/auditLog';
import type { Clock, RandomSource } from '../ports/clock';
import type { CodeSender } from '../ports/codeSender';
import type { DestinationGuard } from '../ports/destinationGuard';
import type { SendThrottle, ThrottleBucket } from '../ports/throttle';
import type { VerificationStore } from '../ports/verificationStore';
import type { RecordChange } from '../ports/recordChange';
import { steppedRecord, type FlowStep } from '../ports/flowStore';
import type { ChallengeStep } from '../verification/methodProver';
import { CODE_DIGITS, isCodeFormat, normaliseCode } from './codeFormat';
import { canonicalDestination } from './throttleKeys';

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
  /** Issue 15: move the flow to "code sent" in the same atomic write as the code (told through `taken`). */
  readonly onStore?: ChallengeStep;
}

export interface CheckCodeRequest {
  readonly user: UserRef;
  readonly purpose: 'register' | 'verify';
  readonly methodId: string;
  readonly code: string;
  readonly correlationId: string;
  readonly methodKind?: string;
  /** F16: advance this flow in the same atomic step as the code is consumed. */
  readonly step?: FlowStep;
  /** F16 for security info (issue 15): make this change in the same atomic step as the code is consumed. */
  readonly change?: RecordChange;
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
  /** Where `send_throttled` and `shared_bucket_exceeded` go (R33). */
  readonly events?: DomainEvents;
}

const DAY_SECONDS = 86_400;
const HOUR_SECONDS = 3600;

/**
 * One-time codes for registration and verification (R5–R8, R10, R11, F15, F17), shared by security info,
 * verification and reset. Codes are never returned, logged or audited; only their HMAC is stored (by the store).
 */
export class OneTimeCodeService {
  constructor(private readonly deps: OneTimeCodeDeps) {}

  /** The per-user send buckets of R10 (user and channel). */
  private userBuckets(user: UserRef, channel: CodeChannel): readonly ThrottleBucket[] {
    const t = this.deps.policy.throttles;
    return [
      { name: 'send-gap', user, subject: channel, limit: 1, windowSeconds: t.minSecondsBetweenSends },
      { name: 'send-hour', user, subject: channel, limit: t.sendsPerHourPerChannel, windowSeconds: HOUR_SECONDS },
    ];
  }

  /**
   * The per-destination cap of R10, keyed by the canonical destination (R33: one mailbox, one number, one cap).
   * Registration codes and verification codes have a cap each: anyone can type a number into a registration, but
   * only its owner's proof sends verification codes to it — so strangers registering someone's number cannot use up
   * the codes that person needs to sign in again.
   */
  private destinationBucket(channel: CodeChannel, destination: string, purpose: 'register' | 'verify'): ThrottleBucket {
    const subject = canonicalDestination(channel, destination);
    return { name: purpose === 'register' ? 'send-dest-day-reg' : 'send-dest-day', subject, limit: this.deps.policy.throttles.sendsPerDayPerDestination, windowSeconds: DAY_SECONDS };
  }

  /** The send buckets of R10 for one destination, both purposes (tests and the helpdesk reset them). */
  buckets(user: UserRef, channel: CodeChannel, destination: string): readonly ThrottleBucket[] {
    return [...this.userBuckets(user, channel), this.destinationBucket(channel, destination, 'verify'), this.destinationBucket(channel, destination, 'register')];
  }

  /**
   * R33: a registration to a destination this user has not tried today is a *new* pending destination; at most
   * `newDestinationsPerDay` of those per user per day. A bucket of distinct destinations under the user's own hash
   * tag (the adapter stores pseudonyms, never the destination): a second code to the same pending destination is not
   * a new one (R10 limits it). Taken with the user's other own buckets, before any shared bucket (the
   * per-destination cap, the per-prefix velocity of R30), so one account cannot use up a number range or someone
   * else's mailbox cap.
   */
  private pendingBucket(user: UserRef, channel: CodeChannel, destination: string): ThrottleBucket {
    return {
      name: 'pending-dests',
      user,
      subject: 'register',
      limit: this.deps.policy.throttles.newDestinationsPerDay,
      windowSeconds: DAY_SECONDS,
      distinct: canonicalDestination(channel, destination),
    };
  }

  private throttled(req: IssueCodeRequest, limit: EventOf<'send_throttled'>['limit'], retryAt: number): void {
    this.deps.events?.publish({ type: 'send_throttled', at: this.deps.clock.now(), correlationId: req.correlationId, user: req.user, kind: req.channel, limit, retryAt });
  }

  /**
   * Create a code, store its HMAC and send it. Over a throttle: 'throttled' with `retryAt` and no provider call.
   * A provider failure is not retried and still counts toward the throttles (F15). The order is the user's own
   * limits first (pending registrations, R10 per user and channel), then the shared ones (per destination, per
   * prefix): a refused request never spends a point of a bucket other users share.
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
    const refuse = async (limit: EventOf<'send_throttled'>['limit'], retryAfterMs: number): Promise<Result<never, IssueRefusal>> => {
      const retryAt = clock.now() + retryAfterMs;
      // The insights count throttles from this record (by channel; the prefix one by its own reason).
      const reason = limit === 'prefix' ? 'destination_prefix_velocity' : 'throttled';
      await audit.record({ ...base, type: 'code.send', outcome: 'refused', reason, detail: { ...detail, to: masked, limit } });
      this.throttled(req, limit, retryAt);
      return fail('throttled', retryAt);
    };
    const plan = guard.plan(req.channel, normalised.value);
    if (!plan.ok) {
      await audit.record({ ...base, type: 'code.send', outcome: 'refused', reason: `destination_${plan.reason}`, detail: { ...detail, to: masked } });
      return fail('destination_refused');
    }
    // Issue 15, R33: the user's own buckets (pending destinations, R10 per user and channel) are TAKEN, atomically in
    // one script of the user's slot, while the shared ones (per destination, per prefix) are only CHECKED in the same
    // round trip — a refused request never spends a point of a bucket other users share. The shared points are TAKEN
    // (check-and-take, atomic per bucket) in the next round trip, with the code's own write, once the user's limits
    // have admitted the send: many users asking at once for one mailbox or one prefix get exactly its limit.
    const own = [...(req.purpose === 'register' ? [this.pendingBucket(req.user, req.channel, normalised.value)] : []), ...this.userBuckets(req.user, req.channel)];
    const shared = [this.destinationBucket(req.channel, normalised.value, req.purpose), ...plan.buckets];
    const [mine, others] = await Promise.all([throttle.take(own), throttle.check(shared)]);
    if (!mine.ok) return refuse(mine.bucket === 'pending-dests' ? 'pending_registrations' : 'user_channel', mine.retryAfterMs);
    if (!others.ok) {
      if (others.bucket === 'phone-prefix') {
        await this.sharedBucketExceeded(req, plan.prefix, this.deps.policy.phone.sendsPerPrefixPerHour);
        return refuse('prefix', others.retryAfterMs);
      }
      return refuse('destination', others.retryAfterMs);
    }
    const admitted = plan;
    const code = String(random.int(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0');
    // One round trip: the code's write, the shared points and the R30 hourly count. Lost the race for a shared
    // bucket's last point: no provider call (the code just written is never sent, so nobody can know it).
    const [{ expiresAt }, sharedTaken] = await Promise.all([
      store.create({ user: req.user, purpose: req.purpose, methodId: req.methodId }, code, policy.codes.lifetimeSeconds, req.onStore?.step),
      throttle.take(shared),
      guard.counted(req.channel, admitted.value, req.correlationId),
    ]);
    // The flow moved with the code's write (issue 15), whether or not the send goes ahead now.
    if (req.onStore) req.onStore.taken(steppedRecord(req.onStore.step));
    if (!sharedTaken.ok) {
      if (sharedTaken.bucket === 'phone-prefix') {
        await this.sharedBucketExceeded(req, plan.prefix, this.deps.policy.phone.sendsPerPrefixPerHour);
        return refuse('prefix', sharedTaken.retryAfterMs);
      }
      return refuse('destination', sharedTaken.retryAfterMs);
    }
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

  /**
   * R33: a shared bucket over its limit is a security alert — once per prefix per hour, however many sends it
   * refuses (the marker is a throttle bucket of its own, shared by every instance).
   */
  private async sharedBucketExceeded(req: IssueCodeRequest, prefix: string | undefined, limit: number | undefined): Promise<void> {
    if (!prefix) return;
    const first = await this.deps.throttle.take([{ name: 'alert-prefix', subject: prefix, limit: 1, windowSeconds: HOUR_SECONDS }]);
    if (!first.ok) return;
    this.deps.events?.publish({
      type: 'shared_bucket_exceeded',
      at: this.deps.clock.now(),
      correlationId: req.correlationId,
      bucket: 'phone_prefix',
      prefix,
      limit: limit ?? this.deps.policy.phone.sendsPerPrefixPerHour,
    });
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
    const outcome = await store.attempt(slot, candidate, policy.codes.maxTries, req.step, req.change);
    // Turns of one conversation are serialised (R25): a flow that moved under us is unexpected, as in advanceFlow.
    if (outcome === 'flow_moved') throw new SsprError('state_conflict', 'verification flow changed concurrently');
    if (outcome === 'ok') {
      await audit.record({ ...base, type: 'code.check', outcome: 'success', detail: { purpose: req.purpose } });
      return ok(undefined);
    }
    await audit.record({ ...base, type: 'code.check', outcome: 'failure', reason: outcome, detail: { purpose: req.purpose } });
    return fail(outcome);
  }
}
