import { fail, ok, type Result } from '../errors';
import { generateRecoveryCodes } from '../methods/recoveryCodes';
import type { QuestionAnswerInput, QuestionSetCheck, QuestionSetProblem } from '../methods/securityQuestions';
import type { TotpEnrolment } from '../methods/totpService';
import type { MethodKind } from '../model/methods';
import { isCodeFormat, normaliseCode } from './codeMethods';
import { checkProof, notifyChange, type ProofGateRefusal } from './proofGate';
import { countedCheck } from '../verification/countedCheck';
import type { RecordChange } from '../ports/recordChange';
import { randomId, type ChangeContext, type SecurityInfoDeps } from './securityInfoDeps';

async function existingOf(deps: SecurityInfoDeps, ctx: ChangeContext, kind: MethodKind) {
  return (await deps.store.list(ctx.user)).filter((m) => m.kind === kind);
}

/**
 * R12: start an authenticator-app enrolment (after the R31 step-up). The secret is stored encrypted on a pending
 * method; the QR code and key text are returned once for the enrolment card, which the dialog replaces right after.
 */
export class EnrolAuthenticator {
  constructor(private readonly deps: SecurityInfoDeps) {}

  async run(ctx: ChangeContext, account: string): Promise<Result<TotpEnrolment, 'kind_not_enabled' | ProofGateRefusal>> {
    const ready = await this.prepare(ctx);
    if (!ready.ok) return ready;
    return ok(await this.deps.totp.startEnrolment(ctx.user, randomId(this.deps.random), account, ctx.flowId));
  }

  /**
   * The same start for the dialog page (R35), which shows the QR code and key itself: the pending method is saved
   * and `ticket(methodId)` (the page's single-use ticket) issued together — one round trip with a pipelining store
   * (issue 15) — and no QR code is made here.
   */
  async forPage<T>(ctx: ChangeContext, ticket: (methodId: string) => Promise<T>): Promise<Result<{ methodId: string; ticket: T }, 'kind_not_enabled' | ProofGateRefusal>> {
    const ready = await this.prepare(ctx);
    if (!ready.ok) return ready;
    const methodId = randomId(this.deps.random);
    const [, issued] = await Promise.all([this.deps.totp.startPendingEnrolment(ctx.user, methodId, ctx.flowId), ticket(methodId)]);
    return ok({ methodId, ticket: issued });
  }

  /** Enabled, the R31 step-up done, an abandoned pending enrolment dropped (one pending authenticator at a time). */
  private async prepare(ctx: ChangeContext): Promise<Result<void, 'kind_not_enabled' | ProofGateRefusal>> {
    if (!this.deps.policy.methods.enabled.includes('authenticatorApp')) return fail('kind_not_enabled');
    const proof = await checkProof(this.deps, ctx);
    if (!proof.ok) return proof;
    for (const m of await existingOf(this.deps, ctx, 'authenticatorApp')) if (m.confirmedAt === null) await this.deps.store.remove(ctx.user, m.id);
    return ok(undefined);
  }
}

/**
 * R12: the first valid code activates a pending enrolment (started after the R31 step-up); any other authenticator of
 * the user is then replaced. Only pending enrolments: an active authenticator is proved through StepUpProof (R34).
 */
export class ConfirmAuthenticator {
  constructor(private readonly deps: SecurityInfoDeps) {}

  async run(ctx: ChangeContext, methodId: string, code: string): Promise<Result<void, 'malformed' | 'invalid' | 'replayed' | 'no_method' | 'blocked' | ProofGateRefusal>> {
    if (!isCodeFormat(code)) return fail('malformed');
    const entry = await this.deps.store.get(ctx.user, methodId);
    if (!entry || entry.method.kind !== 'authenticatorApp' || entry.method.confirmedAt !== null) return fail('no_method');
    const proof = await checkProof(this.deps, ctx);
    if (!proof.ok) return proof;
    // Issue 15, F16 for security info: the code's time step, the method made active, the lasting flag and the removal
    // of the user's other authenticators are one atomic step — all of it or none.
    const others = (await existingOf(this.deps, ctx, 'authenticatorApp')).filter((m) => m.id !== methodId).map((m) => m.id);
    const change: RecordChange = { flags: ['hadMethods'], ...(others.length ? { remove: others } : {}) };
    // R34: through the one counted check (block honoured, a wrong code counts toward R9).
    const r = await countedCheck(this.deps.block, ctx.user, (reason) => reason === 'invalid', () => this.deps.totp.verify(ctx.user, methodId, normaliseCode(code), ctx.flowId, { change }));
    if (!r.ok) return r;
    await notifyChange(this.deps, ctx, { action: 'added', kind: 'authenticatorApp' });
    return ok(undefined);
  }
}

/**
 * R13: register the policy's number of security questions (only when enabled; after the R19 step-up). Replaces an
 * earlier set. Answers are validated and hashed (argon2id) by the SecurityQuestionService and never kept elsewhere.
 */
export class RegisterQuestions {
  constructor(private readonly deps: SecurityInfoDeps) {}

  async run(
    ctx: ChangeContext,
    input: readonly QuestionAnswerInput[],
    check: QuestionSetCheck,
  ): Promise<Result<void, QuestionSetProblem | 'disabled' | ProofGateRefusal> & { problemIndex?: number }> {
    if (!this.deps.policy.methods.enabled.includes('securityQuestions')) return fail('disabled');
    const proof = await checkProof(this.deps, ctx);
    if (!proof.ok) return proof;
    const before = await existingOf(this.deps, ctx, 'securityQuestions');
    const methodId = randomId(this.deps.random);
    const r = await this.deps.questions.register(ctx.user, methodId, input, check, ctx.flowId);
    if (!r.ok) return r;
    for (const m of before) await this.deps.store.remove(ctx.user, m.id);
    await this.deps.stepUps.setFlag(ctx.user, 'hadMethods');
    await notifyChange(this.deps, ctx, { action: before.length ? 'changed' : 'added', kind: 'securityQuestions' });
    return ok(undefined);
  }
}

/**
 * Recovery codes (after the R19 step-up): a new set replaces any earlier one and is returned in clear exactly once,
 * for the card the dialog replaces when the user says they saved them. Stored as HMACs only.
 */
export class CreateRecoveryCodes {
  constructor(private readonly deps: SecurityInfoDeps) {}

  async run(ctx: ChangeContext): Promise<Result<{ methodId: string; codes: readonly string[] }, 'kind_not_enabled' | ProofGateRefusal>> {
    const { policy, store, recoveryCodes, clock, audit, random } = this.deps;
    if (!policy.methods.enabled.includes('recoveryCodes')) return fail('kind_not_enabled');
    const proof = await checkProof(this.deps, ctx);
    if (!proof.ok) return proof;
    const before = await existingOf(this.deps, ctx, 'recoveryCodes');
    const methodId = before[0]?.id ?? randomId(random);
    const codes = generateRecoveryCodes(random);
    await recoveryCodes.replace(ctx.user, codes);
    const now = clock.now();
    await store.save(ctx.user, {
      method: { id: methodId, kind: 'recoveryCodes', confirmedAt: now, lastUsedAt: null, createdAt: before[0]?.createdAt ?? now, source: 'user', channels: [] },
      secrets: {},
    });
    for (const m of before.slice(1)) await store.remove(ctx.user, m.id);
    await this.deps.stepUps.setFlag(ctx.user, 'hadMethods');
    await audit.record({ type: before.length ? 'method.change' : 'method.register', correlationId: ctx.flowId, user: ctx.user, methodKind: 'recoveryCodes', outcome: 'success' });
    await notifyChange(this.deps, ctx, { action: before.length ? 'changed' : 'added', kind: 'recoveryCodes' });
    return ok({ methodId, codes });
  }
}
