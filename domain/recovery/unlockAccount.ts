import type { Result } from '../errors';
import { fail, ok } from '../errors';
import type { UserRef } from '../model/user';
import type { GrantRefusal } from '../ports/grantStore';
import type { UnlockResult } from '../ports/directory';
import { claimForWrite } from './flowAccess';
import type { RecoveryDeps } from './recoveryDeps';

export interface UnlockAccountInput {
  readonly user: UserRef;
  readonly conversationId: string;
  readonly flowId: string;
  readonly correlationId: string;
}

export type UnlockRefusal =
  | GrantRefusal
  | 'recovery_cap'
  | 'account_unavailable'
  | 'unlock_not_supported'
  /** The directory refused the write for this account (insufficient access): helpdesk only. */
  | 'directory_denied'
  | 'not_applied'
  | 'pending';

type Deps = Pick<RecoveryDeps, 'policy' | 'directory' | 'grants' | 'block' | 'audit' | 'notifications' | 'random' | 'events' | 'clock'>;

/**
 * Unlocks the caller's account with a verified unlock grant (R16). Never touches the password and never binds as
 * the user (R28). Same single-write discipline as ResetPassword (R27): on an unknown outcome the lock state is read
 * back. The reset/unlock cap (C6) is reserved with the claim (given back when nothing changed). Success clears the R9
 * counters and notifies the user (R18).
 */
export class UnlockAccount {
  constructor(private readonly deps: Deps) {}

  async execute(input: UnlockAccountInput): Promise<Result<{ unlocked: true }, UnlockRefusal>> {
    const { user, correlationId } = input;
    const { directory, grants } = this.deps;
    const audit = (outcome: 'success' | 'failure' | 'refused' | 'info', reason?: string): Promise<void> =>
      this.deps.audit.record({
        type: 'recovery.account_unlock',
        correlationId,
        user,
        outcome,
        ...(reason === undefined ? {} : { reason }),
      });

    if (!directory.capabilities().canUnlock) {
      await audit('refused', 'unlock_not_supported');
      return fail('unlock_not_supported');
    }
    const claimed = await claimForWrite(this.deps, input, 'unlock', audit);
    if (!claimed.ok) return claimed;
    const { target, attemptId } = claimed.value;

    let result: UnlockResult;
    try {
      result = await directory.unlock(target);
    } catch {
      result = { ok: false, reason: 'unknown' };
    }
    if (!result.ok && result.reason === 'not_supported') {
      await grants.settle(user, input.flowId, attemptId, 'released');
      await audit('refused', 'unlock_not_supported');
      return fail('unlock_not_supported');
    }
    if (!result.ok && result.reason === 'denied') {
      await grants.settle(user, input.flowId, attemptId, 'spent');
      await audit('refused', 'directory_denied');
      return fail('directory_denied');
    }
    if (!result.ok) {
      let after;
      try {
        after = await directory.findUser(user);
      } catch {
        await audit('info', 'outcome_pending');
        return fail('pending');
      }
      if (!after || after.locked !== false) {
        await grants.settle(user, input.flowId, attemptId, 'spent');
        this.deps.events.publish({ type: 'recovery_failed', at: this.deps.clock.now(), correlationId, user, goal: 'unlock', flowId: input.flowId, reason: 'not_applied_after_timeout', retryable: false });
        return fail('not_applied');
      }
    }
    // The C6 slot was reserved with the claim; consuming the grant keeps it. Both writes together (issue 15).
    const settled = Promise.all([grants.settle(user, input.flowId, attemptId, 'consumed'), this.deps.block.clear(user)]);
    // The account is unlocked: the audit record and the R18 notification (subscribers, rule 18) are told in the same
    // tick, so their first reads ride with the writes above.
    this.deps.events.publish({ type: 'account_unlocked', at: this.deps.clock.now(), correlationId, user, flowId: input.flowId });
    await settled;
    return ok({ unlocked: true });
  }
}
