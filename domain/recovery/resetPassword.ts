import type { Result } from '../errors';
import { fail, ok } from '../errors';
import type { UserRef } from '../model/user';
import type { DirectoryUser, SetPasswordRefusal, SetPasswordResult } from '../ports/directory';
import type { GrantRefusal } from '../ports/grantStore';
import { claimForWrite } from './flowAccess';
import type { RecoveryDeps } from './recoveryDeps';

export interface ResetPasswordInput {
  /** The caller (R2): the account written is always the one the directory returns for this UserRef. */
  readonly user: UserRef;
  readonly conversationId: string;
  readonly flowId: string;
  /** Already checked against the password policy (R14) by the caller. Never logged, stored or echoed. */
  readonly newPassword: string;
  readonly correlationId: string;
}

export type PasswordRefusalReason = `password_${SetPasswordRefusal}`;

export type ResetPasswordRefusal =
  | GrantRefusal
  | PasswordRefusalReason
  | 'recovery_cap'
  | 'account_unavailable'
  /** The directory refused the write for this account (insufficient access): nothing changed; helpdesk only. */
  | 'directory_denied'
  /** Outcome unknown and the read-back shows no change: the grant is spent, the user verifies again. */
  | 'not_applied'
  /** Outcome unknown and the read-back failed too: the grant stays claimed; tell the user it is pending. */
  | 'pending';

type Deps = Pick<
  RecoveryDeps,
  'policy' | 'directory' | 'grants' | 'block' | 'audit' | 'notifications' | 'random' | 'events' | 'clock'
>;

/**
 * Resets the caller's password with a verified grant (R16) — one effective directory write per grant (R27):
 * the grant is claimed and the idempotency key stored atomically before the call; concurrent calls get
 * `in_progress`. A refusal by the directory (F13) gives the grant back for another password and adds no R9
 * count. A timeout (F12) is resolved by reading `passwordChangedAt` back before anything else. The reset/unlock cap
 * (C6) is reserved with the claim and given back when nothing was written. Success clears the R9 counters and writes
 * the audit event and the R18 notification.
 * Wrap the returned promise in `withDeadline` to answer within 2 s (R26).
 */
export class ResetPassword {
  constructor(private readonly deps: Deps) {}

  async execute(input: ResetPasswordInput): Promise<Result<{ changedAt: number }, ResetPasswordRefusal>> {
    const { user, correlationId } = input;
    const { directory, grants } = this.deps;
    const audit = (outcome: 'success' | 'failure' | 'refused', reason?: string): Promise<void> =>
      this.deps.audit.record({
        type: 'recovery.password_reset',
        correlationId,
        user,
        outcome,
        ...(reason === undefined ? {} : { reason }),
      });

    const claimed = await claimForWrite(this.deps, input, 'reset', audit);
    if (!claimed.ok) return claimed;
    const { target, attemptId } = claimed.value;

    let result: SetPasswordResult;
    try {
      result = await directory.setPassword(target, input.newPassword, {
        forceChangeAtNextSignIn: this.deps.policy.password.forceChangeAtNextSignIn,
      });
    } catch {
      // A thrown error may come after the write was applied: same as a timeout (F12).
      result = { ok: false, reason: 'unknown' };
    }

    if (result.ok) return this.succeeded(input, attemptId, result.changedAt);
    if (result.reason === 'denied') {
      // Not a password problem and not a timeout: nothing was written and no retry can work (e.g. a protected
      // account the service account may not reset). The grant is spent; the user is sent to the helpdesk.
      await grants.settle(user, input.flowId, attemptId, 'spent');
      await audit('refused', 'directory_denied');
      return fail('directory_denied');
    }
    if (result.reason !== 'unknown') {
      await grants.settle(user, input.flowId, attemptId, 'released');
      await audit('refused', `directory_${result.reason}`);
      return fail(`password_${result.reason}`);
    }
    return this.readBack(input, attemptId, target);
  }

  private async readBack(
    input: ResetPasswordInput,
    attemptId: string,
    target: DirectoryUser,
  ): Promise<Result<{ changedAt: number }, ResetPasswordRefusal>> {
    let after: number | null;
    try {
      after = await this.deps.directory.readPasswordChangedAt(target);
    } catch {
      await this.deps.audit.record({
        type: 'recovery.password_reset',
        correlationId: input.correlationId,
        user: input.user,
        outcome: 'info',
        reason: 'outcome_pending',
      });
      return fail('pending');
    }
    const before = target.passwordChangedAt;
    if (after !== null && (before === null || after > before)) return this.succeeded(input, attemptId, after);
    await this.deps.grants.settle(input.user, input.flowId, attemptId, 'spent');
    this.deps.events.publish({
      type: 'recovery_failed',
      at: this.deps.clock.now(),
      correlationId: input.correlationId,
      user: input.user,
      goal: 'reset',
      flowId: input.flowId,
      reason: 'not_applied_after_timeout',
      retryable: false,
    });
    return fail('not_applied');
  }

  private async succeeded(
    input: ResetPasswordInput,
    attemptId: string,
    changedAt: number,
  ): Promise<Result<{ changedAt: number }, ResetPasswordRefusal>> {
    // Independent writes, issued together (one round trip with a pipelining client, issue 15). The C6 slot was
    // reserved with the claim: consuming the grant keeps it as this reset's count.
    const settled = Promise.all([this.deps.grants.settle(input.user, input.flowId, attemptId, 'consumed'), this.deps.block.clear(input.user)]);
    // The password is changed: the audit record and the R18 notification (subscribers, rule 18) are told in the same
    // tick, so their first reads ride with the writes above.
    this.deps.events.publish({ type: 'password_reset', at: this.deps.clock.now(), correlationId: input.correlationId, user: input.user, flowId: input.flowId });
    await settled;
    return ok({ changedAt });
  }
}
