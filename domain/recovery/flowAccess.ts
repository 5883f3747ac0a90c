import { SsprError, fail, ok, type Result } from '../errors';
import type { UserRef } from '../model/user';
import { judgeRecoveryCap, recoveryCapWindowMs } from '../policy/recoveryCap';
import type { FlowStore } from '../ports/flowStore';
import type { DirectoryUser } from '../ports/directory';
import type { GrantRefusal } from '../ports/grantStore';
import type { RegisteredMethod } from '../verification/methodProver';
import type { FlowRecord, FlowState, RecoveryGoal } from '../verification/stateMachine';
import { randomHex, type MethodChoice, type RecoveryDeps } from './recoveryDeps';

/**
 * The caller's flow, or null when it does not exist, belongs to someone else or to another conversation.
 * The flow is looked up under the caller's own user key, so another user's flow id finds nothing (R2).
 */
export async function loadBoundFlow(
  flows: FlowStore,
  user: UserRef,
  conversationId: string,
  flowId: string,
): Promise<FlowRecord | null> {
  const flow = await flows.get(user, flowId);
  if (!flow) return null;
  if (flow.user.tenantId !== user.tenantId || flow.user.objectId !== user.objectId) return null;
  if (flow.conversationId !== conversationId) return null;
  return flow;
}

/** Advance with compare-and-set; a lost race is unexpected here (turns are serialised, R25). */
export async function advanceFlow(flows: FlowStore, flow: FlowRecord, next: FlowState): Promise<FlowRecord> {
  const updated = await flows.advance(flow.user, flow.flowId, flow.version, next, flow);
  if (!updated) throw new SsprError('state_conflict', 'verification flow changed concurrently');
  return updated;
}

export function toChoices(methods: readonly RegisteredMethod[]): MethodChoice[] {
  return methods.map((m) =>
    m.maskedDestination === undefined
      ? { id: m.id, kind: m.kind }
      : { id: m.id, kind: m.kind, maskedDestination: m.maskedDestination },
  );
}

/**
 * The checks before one directory write, shared by reset and unlock: an existing enabled account, then the grant claimed
 * with a fresh idempotency key (R16, R27) and — in that same atomic step of the grant store — one slot of the
 * reset/unlock cap reserved (C6), so two grants written at once cannot both pass a cap with one slot left. The caller
 * settles the claim: a consumed write keeps the slot, anything else gives it back. Every refusal is audited through
 * `audit` (precise reason) and answered with the public one.
 */
export async function claimForWrite(
  deps: Pick<RecoveryDeps, 'policy' | 'directory' | 'grants' | 'random' | 'clock'>,
  input: { readonly user: UserRef; readonly conversationId: string; readonly flowId: string },
  goal: RecoveryGoal,
  audit: (outcome: 'refused', reason: string) => Promise<void>,
): Promise<Result<{ readonly target: DirectoryUser; readonly attemptId: string }, GrantRefusal | 'recovery_cap' | 'account_unavailable'>> {
  const { user } = input;
  const target = await deps.directory.findUser(user);
  if (!target || !target.enabled) {
    await audit('refused', target ? 'account_disabled' : 'user_unknown');
    return fail('account_unavailable');
  }
  const attemptId = randomHex(deps.random, 16);
  const resets = deps.policy.resets;
  const claim = await deps.grants.claim(user, input.conversationId, input.flowId, goal, attemptId, {
    max: resets.maxPerWindow,
    windowMs: recoveryCapWindowMs(resets),
  });
  if (!claim.ok && claim.reason === 'recovery_cap') {
    const cap = judgeRecoveryCap(resets, claim.completions, deps.clock.now());
    await audit('refused', 'recovery_cap');
    return fail('recovery_cap', cap.allowed ? undefined : cap.retryAt);
  }
  if (!claim.ok) {
    await audit('refused', `grant_${claim.reason}`);
    return fail(claim.reason);
  }
  return ok({ target, attemptId });
}
