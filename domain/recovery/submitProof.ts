import type { Result } from '../errors';
import { fail, ok } from '../errors';
import type { UserRef } from '../model/user';
import type { ProofResponse } from '../verification/methodProver';
import { nextChoices, usableMethods } from '../verification/methodRules';
import { transition } from '../verification/stateMachine';
import { advanceFlow, loadBoundFlow, toChoices } from './flowAccess';
import type { MethodChoice, RecoveryDeps } from './recoveryDeps';
import { stateRefusal } from './requestChallenge';

export interface SubmitProofInput {
  readonly user: UserRef;
  readonly conversationId: string;
  readonly flowId: string;
  /** The user's answer; passed to the prover, never stored or logged. */
  readonly response: ProofResponse;
  readonly locale: 'en' | 'nl';
  readonly correlationId: string;
}

export type SubmitProofAnswer =
  /** `grantExpiresAt` null: a caller verification (`verify` goal) — verified, and nothing to use it for (R38). */
  | { readonly status: 'verified'; readonly grantExpiresAt: number | null }
  | { readonly status: 'next_method'; readonly choices: readonly MethodChoice[] };

export type SubmitProofRefusal =
  | 'no_flow'
  | 'expired'
  | 'blocked'
  | 'invalid_state'
  | 'wrong'
  | 'code_expired'
  | 'too_many_tries'
  | 'no_code'
  | 'no_methods_left';

type Deps = Pick<RecoveryDeps, 'policy' | 'methods' | 'prover' | 'flows' | 'grants' | 'block' | 'audit' | 'clock' | 'events'>;

/**
 * Checks the answer to the current challenge. A wrong answer counts toward the per-user R9 block (shared by all
 * conversations and processes); the 5th within 24 h blocks for 24 h (`blocked` with `retryAt`). Once the
 * required methods are proved, the flow becomes `verified` and the single-use grant is issued (R16).
 * Redis down: the prover and the stores throw SsprError — nothing is accepted (F2, R22).
 */
export class SubmitProof {
  constructor(private readonly deps: Deps) {}

  async execute(input: SubmitProofInput): Promise<Result<SubmitProofAnswer, SubmitProofRefusal>> {
    const { user } = input;
    // The flow, the methods, the R9 block and what the prover needs for this kind of answer (a TOTP check: the
    // authenticator's secret) are independent reads: issued together (one round trip, issue 15).
    const [flow, methods, until, preloaded] = await Promise.all([
      loadBoundFlow(this.deps.flows, user, input.conversationId, input.flowId),
      this.deps.methods.list(user),
      this.deps.block.blockedUntil(user),
      this.deps.prover.preload?.(user, input.response),
    ]);
    if (!flow) return fail('no_flow');
    const usable = usableMethods(methods, this.deps.policy, flow.privileged);
    const ctxAt = (): { now: number; usable: typeof usable } => ({ now: this.deps.clock.now(), usable });

    if (flow.state.name !== 'challengeSent') return fail(stateRefusal(flow.state.name));
    if (ctxAt().now >= flow.expiresAt) {
      const exp = transition(flow, { type: 'proofAccepted' }, ctxAt());
      if (exp.ok) await advanceFlow(this.deps.flows, flow, exp.value);
      return fail('expired');
    }
    if (until !== null) {
      const next = transition(flow, { type: 'blockedObserved', until }, ctxAt());
      if (next.ok) await advanceFlow(this.deps.flows, flow, next.value);
      return fail('blocked', until);
    }
    const methodId = flow.state.methodId;
    const method = usable.find((m) => m.id === methodId);
    if (!method) return fail('invalid_state');

    // The step an accepted proof takes, known before the check: a code is consumed and the flow advanced in one
    // atomic step (F16), so a process killed in between can never leave "code used, flow not advanced".
    const accepted = transition(flow, { type: 'proofAccepted' }, ctxAt());
    if (!accepted.ok) return fail(stateRefusal(flow.state.name));
    // R16: when this proof verifies a reset or unlock, a prover that can issues the grant in the same atomic step.
    const issueGrant =
      accepted.value.name === 'verified' && flow.goal !== 'verify'
        ? {
            conversationId: flow.conversationId,
            goal: flow.goal,
            flowStartedAt: flow.startedAt,
            lifetimeMs: this.deps.policy.grant.lifetimeSeconds * 1000,
            maxFlowMs: this.deps.policy.grant.maxFlowSeconds * 1000,
          }
        : undefined;
    const proof = await this.deps.prover.prove(
      user,
      method,
      {
        flowId: flow.flowId,
        correlationId: input.correlationId,
        locale: input.locale,
        onAccept: { flow, next: accepted.value },
        ...(issueGrant ? { issueGrant } : {}),
        ...(preloaded ? { preloaded } : {}),
      },
      input.response,
    );
    const base = { at: this.deps.clock.now(), correlationId: input.correlationId, user, goal: flow.goal, flowId: flow.flowId } as const;

    if (!proof.ok) {
      let blockedUntil: number | null = null;
      if (proof.reason === 'wrong') {
        const counted = await this.deps.block.recordFailure(user);
        blockedUntil = counted.blockedUntil;
      }
      this.deps.events.publish({ ...base, type: 'verification_failed', methodKind: method.kind, reason: proof.reason });
      const next = transition(flow, { type: 'proofRefused', reason: proof.reason, blockedUntil }, ctxAt());
      if (next.ok) await advanceFlow(this.deps.flows, flow, next.value);
      if (blockedUntil !== null) {
        this.deps.events.publish({ type: 'verification_blocked', at: base.at, correlationId: input.correlationId, user, until: blockedUntil });
        return fail('blocked', blockedUntil);
      }
      return fail(proof.reason === 'expired' ? 'code_expired' : proof.reason);
    }

    this.deps.events.publish({ ...base, type: 'method_proved', methodKind: method.kind });
    const advanced = proof.value?.advanced ?? (await advanceFlow(this.deps.flows, flow, accepted.value));
    switch (advanced.state.name) {
      case 'verified': {
        if (flow.goal === 'verify') {
          // R38: caller verification ends here — the flow is terminal, no grant exists that could reset or unlock.
          this.deps.events.publish({ ...base, type: 'verification_succeeded', methods: advanced.state.proved.length });
          return ok({ status: 'verified', grantExpiresAt: null });
        }
        const grant =
          proof.value?.grant ??
          (await this.deps.grants.issue({
            user,
            conversationId: flow.conversationId,
            flowId: flow.flowId,
            goal: flow.goal,
            flowStartedAt: flow.startedAt,
          }));
        this.deps.events.publish({ ...base, type: 'verification_succeeded', methods: advanced.state.proved.length });
        return ok({ status: 'verified', grantExpiresAt: grant.expiresAt });
      }
      case 'choosingMethod':
        return ok({
          status: 'next_method',
          choices: toChoices(nextChoices(usable, advanced.state.proved, flow.required)),
        });
      case 'expired':
        return fail('expired');
      default:
        return fail('no_methods_left');
    }
  }
}
