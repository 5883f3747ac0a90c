import { fail, ok, type Result } from '../errors';
import type { Challenge, ChallengeRefusal, ProofResponse, RegisteredMethod } from '../verification/methodProver';
import { checkProof, stepUpChoices } from './proofGate';
import type { ChangeContext, SecurityInfoDeps } from './securityInfoDeps';

export type StepUpRefusal = 'blocked' | 'unknown_method' | ChallengeRefusal;
export type StepUpProofRefusal = 'blocked' | 'unknown_method' | 'wrong' | 'expired' | 'too_many_tries' | 'no_code';

/**
 * R19 step-up: before adding, changing or removing a method, a user who has confirmed methods proves one of them
 * through the same MethodProver as the verification flow. Wrong proofs count toward the R9 block; a blocked user
 * cannot step up. Success returns the time to keep in the flow (`provenAt`).
 */
export class StepUpProof {
  constructor(private readonly deps: SecurityInfoDeps) {}

  /** Methods the user may prove (confirmed, enabled, not security questions); empty = no proof needed. */
  async choices(ctx: Pick<ChangeContext, 'user'>): Promise<readonly RegisteredMethod[]> {
    return stepUpChoices(this.deps, ctx);
  }

  /** True when this flow must (still, or again) prove a method before changing security info (R19). */
  async needed(ctx: ChangeContext): Promise<boolean> {
    return !(await checkProof(this.deps, ctx)).ok;
  }

  /** Send a code / ask for the TOTP or recovery code for the chosen method. */
  async challenge(ctx: ChangeContext, choiceId: string): Promise<Result<Challenge, StepUpRefusal>> {
    const until = await this.deps.block.blockedUntil(ctx.user);
    if (until !== null) return fail('blocked', until);
    const method = (await this.choices(ctx)).find((m) => m.id === choiceId);
    if (!method) return fail('unknown_method');
    return this.deps.prover.challenge(ctx.user, method, { flowId: ctx.flowId, correlationId: ctx.flowId, locale: ctx.locale });
  }

  /** Check the user's answer to the challenge. */
  async prove(ctx: ChangeContext, choiceId: string, response: ProofResponse): Promise<Result<{ provenAt: number }, StepUpProofRefusal>> {
    const { block, audit, clock, prover } = this.deps;
    const until = await block.blockedUntil(ctx.user);
    if (until !== null) return fail('blocked', until);
    const method = (await this.choices(ctx)).find((m) => m.id === choiceId);
    if (!method) return fail('unknown_method');
    const r = await prover.prove(ctx.user, method, { flowId: ctx.flowId, correlationId: ctx.flowId, locale: ctx.locale }, response);
    const base = { type: 'securityInfo.stepUp', correlationId: ctx.flowId, user: ctx.user, methodKind: method.kind } as const;
    if (!r.ok) {
      let blockedUntil: number | null = null;
      if (r.reason === 'wrong') blockedUntil = (await block.recordFailure(ctx.user)).blockedUntil;
      await audit.record({ ...base, outcome: 'failure', reason: r.reason });
      return blockedUntil !== null ? fail('blocked', blockedUntil) : fail(r.reason);
    }
    await audit.record({ ...base, outcome: 'success' });
    return ok({ provenAt: clock.now() });
  }
}
