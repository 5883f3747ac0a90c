import type { Result } from '../errors';
import { fail, ok } from '../errors';
import type { UserRef } from '../model/user';
import type { Challenge, ChallengeRefusal } from '../verification/methodProver';
import { usableMethods } from '../verification/methodRules';
import { transition } from '../verification/stateMachine';
import { advanceFlow, loadBoundFlow } from './flowAccess';
import { steppedRecord } from '../ports/flowStore';
import type { FlowRecord } from '../verification/stateMachine';
import type { RecoveryDeps } from './recoveryDeps';

export interface RequestChallengeInput {
  readonly user: UserRef;
  readonly conversationId: string;
  readonly flowId: string;
  readonly methodId: string;
  readonly locale: 'en' | 'nl';
  readonly correlationId: string;
}

export type RequestChallengeRefusal =
  | 'no_flow'
  | 'expired'
  | 'blocked'
  | 'method_not_allowed'
  | 'invalid_state'
  | ChallengeRefusal;

type Deps = Pick<RecoveryDeps, 'policy' | 'methods' | 'prover' | 'flows' | 'block' | 'audit' | 'clock'>;

/**
 * The user chose a method (or asked for a new code): checks the flow (bound to this user and conversation), the
 * R9 block and the method rules (R3/R4), moves the flow to `challengeSent` and only then sends the challenge, so a
 * refused transition never sends anything. A new code does not reset the R9 count. `blocked` carries `retryAt`.
 */
export class RequestChallenge {
  constructor(private readonly deps: Deps) {}

  async execute(input: RequestChallengeInput): Promise<Result<Challenge, RequestChallengeRefusal>> {
    const { user } = input;
    // The flow, the methods and the R9 block are independent reads: issued together (one round trip, issue 15).
    const [flow, methods, until] = await Promise.all([
      loadBoundFlow(this.deps.flows, user, input.conversationId, input.flowId),
      this.deps.methods.list(user),
      this.deps.block.blockedUntil(user),
    ]);
    if (!flow) return fail('no_flow');
    const now = this.deps.clock.now();
    const usable = usableMethods(methods, this.deps.policy, flow.privileged);
    const ctx = { now, usable };

    if (until !== null) {
      const next = transition(flow, { type: 'blockedObserved', until }, ctx);
      if (next.ok) await advanceFlow(this.deps.flows, flow, next.value);
      return fail('blocked', until);
    }
    const next = transition(flow, { type: 'choose', methodId: input.methodId }, ctx);
    if (!next.ok) return fail(next.reason === 'method_not_allowed' ? 'method_not_allowed' : stateRefusal(flow.state.name));
    if (next.value.name === 'expired') {
      await advanceFlow(this.deps.flows, flow, next.value);
      return fail('expired');
    }
    const method = usable.find((m) => m.id === input.methodId);
    if (!method) {
      await advanceFlow(this.deps.flows, flow, next.value);
      return fail('method_not_allowed');
    }
    // Issue 15: a code method stores its code and moves the flow to "code sent" in one atomic write (F16's pattern):
    // nothing is sent unless that write succeeded, and a refused send leaves the flow where it was. Other methods
    // (and a prover that does not take the step) are advanced here first, as before.
    let advanced: FlowRecord | undefined;
    const takesStep = method.kind === 'mobilePhone' || method.kind === 'officePhone' || method.kind === 'email';
    if (!takesStep) advanced = await advanceFlow(this.deps.flows, flow, next.value);
    const challenge = await this.deps.prover.challenge(user, method, {
      flowId: flow.flowId,
      correlationId: input.correlationId,
      locale: input.locale,
      ...(takesStep ? { onChallenge: { step: { flow, next: next.value }, taken: (r: FlowRecord) => void (advanced = r) } } : {}),
    });
    await this.deps.audit.record({
      type: 'verification.challenge',
      correlationId: input.correlationId,
      user,
      methodKind: method.kind,
      outcome: challenge.ok ? 'success' : 'failure',
      ...(challenge.ok ? {} : { reason: challenge.reason }),
    });
    if (!challenge.ok) {
      // "Send a new code" too soon for the same method: the code already sent stays the one to enter (issue 11).
      if (challenge.reason === 'throttled' && flow.state.name === 'challengeSent' && flow.state.methodId === input.methodId) {
        if (advanced) await advanceFlow(this.deps.flows, advanced, flow.state);
        return challenge.retryAt === undefined ? fail(challenge.reason) : fail(challenge.reason, challenge.retryAt);
      }
      // From "code sent" (taken or not) back to the choice: one compare-and-set from where the flow is.
      const at = advanced ?? flow;
      const back = transition(steppedRecord({ flow, next: next.value }), { type: 'challengeRefused' }, { now: this.deps.clock.now(), usable });
      if (back.ok) await advanceFlow(this.deps.flows, at, back.value);
      return challenge.retryAt === undefined ? fail(challenge.reason) : fail(challenge.reason, challenge.retryAt);
    }
    if (!advanced) await advanceFlow(this.deps.flows, flow, next.value);
    return ok(challenge.value);
  }
}

export function stateRefusal(name: string): 'expired' | 'blocked' | 'invalid_state' {
  if (name === 'expired') return 'expired';
  if (name === 'blocked') return 'blocked';
  return 'invalid_state';
}
