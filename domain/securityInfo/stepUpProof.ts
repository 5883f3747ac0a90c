import { fail, ok, type Result } from '../errors';
import type { MethodKind } from '../model/methods';
import { countedCheck } from '../verification/countedCheck';
import { choiceId, parseChoiceId } from '../recovery/securityInfoProver';
import type { Challenge, ChallengeRefusal, ProofResponse, RegisteredMethod } from '../verification/methodProver';
import { checkProof, recordProof, stepUpChoices, type ProofGateRefusal } from './proofGate';
import type { ChangeContext, SecurityInfoDeps } from './securityInfoDeps';

export type StepUpRefusal = 'blocked' | 'unknown_method' | ChallengeRefusal;
export type StepUpProofRefusal = 'blocked' | 'unknown_method' | 'wrong' | 'expired' | 'too_many_tries' | 'no_code' | 'malformed';

/** The answer a user typed for a method of this kind (one code, TOTP code or recovery code). */
export function responseFor(kind: MethodKind, code: string): ProofResponse {
  return kind === 'authenticatorApp' ? { kind: 'totp', code } : kind === 'recoveryCodes' ? { kind: 'recoveryCode', code } : { kind: 'code', code };
}

/** `anyConfirmed`: a re-confirmation proves the method itself, whichever proof the step-up would ask for next. */
export interface ProofOptions {
  readonly anyConfirmed?: boolean;
}

/**
 * R31 step-up: before any change to security info, a user who has confirmed methods proves one of them through the
 * same MethodProver as the verification flow (R34). Wrong proofs count toward the R9 block; a blocked user cannot step
 * up. A success is recorded for the *user* (StepUpStore), so it holds on every surface for 10 minutes and a surface
 * cannot claim one it did not see.
 */
export class StepUpProof {
  constructor(private readonly deps: SecurityInfoDeps) {}

  /**
   * Methods the user may prove now (confirmed, enabled, not security questions); when a second proof is asked for
   * (R31 + R4), only methods of another kind that were confirmed before the step-up started.
   */
  async choices(ctx: Pick<ChangeContext, 'user'>, options: ProofOptions = {}): Promise<readonly RegisteredMethod[]> {
    return stepUpChoices(this.deps, ctx, options);
  }

  /** What this user must do before changing security info now: nothing, prove a method, a second one, or the bootstrap. */
  async needed(ctx: Pick<ChangeContext, 'user'>): Promise<'none' | ProofGateRefusal> {
    const r = await checkProof(this.deps, ctx);
    return r.ok ? 'none' : r.reason;
  }

  /** Send a code / ask for the TOTP or recovery code for the chosen method. */
  async challenge(ctx: ChangeContext, choice: string, options: ProofOptions = {}): Promise<Result<Challenge, StepUpRefusal>> {
    const until = await this.deps.block.blockedUntil(ctx.user);
    if (until !== null) return fail('blocked', until);
    const method = (await this.choices(ctx, options)).find((m) => m.id === choice);
    if (!method) return fail('unknown_method');
    return this.deps.prover.challenge(ctx.user, method, { flowId: ctx.flowId, correlationId: ctx.flowId, locale: ctx.locale });
  }

  /** Check the user's answer to the challenge; a success is the user's step-up for the next 10 minutes. */
  async prove(ctx: ChangeContext, choice: string, response: ProofResponse, options: ProofOptions = {}): Promise<Result<{ kind: MethodKind }, StepUpProofRefusal>> {
    const { block, audit, prover } = this.deps;
    const method = (await this.choices(ctx, options)).find((m) => m.id === choice);
    if (!method) return (await block.blockedUntil(ctx.user)) === null ? fail('unknown_method') : fail('blocked');
    const base = { type: 'securityInfo.stepUp', correlationId: ctx.flowId, user: ctx.user, methodKind: method.kind } as const;
    const r = await countedCheck(block, ctx.user, (reason) => reason === 'wrong', () =>
      prover.prove(ctx.user, method, { flowId: ctx.flowId, correlationId: ctx.flowId, locale: ctx.locale }, response),
    );
    if (!r.ok) {
      await audit.record({ ...base, outcome: 'failure', reason: r.reason });
      return r.retryAt === undefined ? fail(r.reason) : fail(r.reason, r.retryAt);
    }
    await recordProof(this.deps, ctx.user, parseChoiceId(method.id).methodId);
    await audit.record({ ...base, outcome: 'success' });
    return ok({ kind: method.kind });
  }
}

/**
 * Re-confirm an existing confirmed method (older than the re-confirmation period, or on the user's wish): proving
 * the method itself is the R31 step-up, through the same StepUpProof (R9 counted, block honoured, R34). Phones and
 * e-mail get a code; an authenticator app asks for its code. Security questions and recovery codes are not
 * re-confirmed.
 */
export class ReconfirmMethod {
  constructor(
    private readonly deps: SecurityInfoDeps,
    private readonly stepUp: StepUpProof,
  ) {}

  private async choiceOf(ctx: ChangeContext, methodId: string): Promise<Result<{ choice: string; kind: MethodKind }, 'unknown_method' | 'not_reconfirmable'>> {
    const m = (await this.deps.store.list(ctx.user)).find((x) => x.id === methodId);
    if (!m || m.confirmedAt === null) return fail('unknown_method');
    if (m.kind === 'authenticatorApp') return ok({ choice: m.id, kind: m.kind });
    const channel = m.channels[0];
    if (!channel) return fail('not_reconfirmable');
    return ok({ choice: choiceId(m.id, channel), kind: m.kind });
  }

  async start(ctx: ChangeContext, methodId: string): Promise<Result<Challenge & { methodKind: MethodKind }, StepUpRefusal | 'not_reconfirmable'>> {
    const c = await this.choiceOf(ctx, methodId);
    if (!c.ok) return c;
    const r = await this.stepUp.challenge(ctx, c.value.choice, { anyConfirmed: true });
    return r.ok ? ok({ ...r.value, methodKind: c.value.kind }) : r;
  }

  async check(ctx: ChangeContext, methodId: string, code: string): Promise<Result<{ kind: MethodKind }, StepUpProofRefusal | 'not_reconfirmable'>> {
    const c = await this.choiceOf(ctx, methodId);
    if (!c.ok) return c;
    const r = await this.stepUp.prove(ctx, c.value.choice, responseFor(c.value.kind, code), { anyConfirmed: true });
    if (!r.ok) return r;
    await this.deps.store.markConfirmed(ctx.user, methodId, this.deps.clock.now());
    await this.deps.audit.record({ type: 'method.reconfirm', correlationId: ctx.flowId, user: ctx.user, methodKind: c.value.kind, outcome: 'success' });
    return ok({ kind: c.value.kind });
  }
}
