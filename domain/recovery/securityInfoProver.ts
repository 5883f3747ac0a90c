import { fail, ok, type Result } from '../errors';
import type { CodeChannel } from '../model/methods';
import type { UserRef } from '../model/user';
import type { OneTimeCodeService } from '../codes/oneTimeCodes';
import type { AuthenticatorEntry, TotpService } from '../methods/totpService';
import type { SecurityQuestionService } from '../methods/securityQuestionService';
import { drawQuestions } from '../methods/securityQuestions';
import { inDisplayOrder } from '../methods/registeredMethod';
import type { Policy } from '../policy/policy';
import type { RandomSource } from '../ports/clock';
import type { MethodStore } from '../ports/methodStore';
import type { RecoveryCodeStore } from '../ports/recoveryCodeStore';
import type { AuditLog } from '../ports/auditLog';
import type { StepUpStore } from '../ports/stepUpStore';
import { steppedRecord } from '../ports/flowStore';
import type {
  Challenge,
  ChallengeRefusal,
  MethodProver,
  ProofAccepted,
  ProofContext,
  ProofMaterial,
  ProofRefusal,
  ProofResponse,
  RegisteredMethod as ChoiceMethod,
  RegisteredMethodsReader,
} from '../verification/methodProver';

/**
 * The verification flow's view of security info. A mobile phone is offered twice — by text and by call — as
 * `<methodId>~sms` and `<methodId>~voice`, sharing one phoneKey so the R4 rules count them as one method.
 * Only confirmed methods are offered for verification.
 */
export class MethodStoreReader implements RegisteredMethodsReader {
  constructor(private readonly store: MethodStore) {}

  async list(user: UserRef): Promise<readonly ChoiceMethod[]> {
    const out: ChoiceMethod[] = [];
    for (const m of inDisplayOrder(await this.store.list(user))) {
      if (m.confirmedAt === null) continue;
      const base = {
        kind: m.kind,
        confirmedAt: m.confirmedAt,
        ...(m.maskedDestination ? { maskedDestination: m.maskedDestination } : {}),
        ...(m.destinationId && (m.kind === 'mobilePhone' || m.kind === 'officePhone') ? { phoneKey: m.destinationId } : {}),
      };
      if (m.channels.length > 1) for (const ch of m.channels) out.push({ ...base, id: choiceId(m.id, ch) });
      else out.push({ ...base, id: m.kind === 'mobilePhone' || m.kind === 'officePhone' || m.kind === 'email' ? choiceId(m.id, m.channels[0] ?? 'email') : m.id });
    }
    return out;
  }
}

/**
 * R31: after a session-only bootstrap the user's methods cannot be used for a reset or unlock until the hold ends;
 * the recovery flows see no usable method until then (the step-up of security info still sees them).
 */
export class HeldMethodsReader implements RegisteredMethodsReader {
  constructor(
    private readonly inner: RegisteredMethodsReader,
    private readonly holds: Pick<StepUpStore, 'holdUntil'>,
  ) {}

  async list(user: UserRef): Promise<readonly ChoiceMethod[]> {
    // Both reads at once (one round trip with a pipelining client); the hold decides.
    const [hold, methods] = await Promise.all([this.holds.holdUntil(user), this.inner.list(user)]);
    return hold !== null ? [] : methods;
  }

  heldUntil(user: UserRef): Promise<number | null> {
    return this.holds.holdUntil(user);
  }
}

const SEP = '~';
export function choiceId(methodId: string, channel: CodeChannel): string {
  return `${methodId}${SEP}${channel}`;
}
export function parseChoiceId(id: string): { methodId: string; channel?: CodeChannel } {
  const i = id.lastIndexOf(SEP);
  if (i < 0) return { methodId: id };
  const ch = id.slice(i + 1);
  const channel = ch === 'sms' || ch === 'voice' || ch === 'email' ? ch : undefined;
  return channel ? { methodId: id.slice(0, i), channel } : { methodId: id };
}

export interface SecurityInfoProverDeps {
  readonly policy: Policy;
  readonly store: MethodStore;
  readonly codes: OneTimeCodeService;
  readonly totp: TotpService;
  readonly questions: SecurityQuestionService;
  readonly recoveryCodes: RecoveryCodeStore;
  readonly audit: AuditLog;
}

/** Challenges and checks one method through the security-info services (codes, TOTP, questions, recovery codes). */
export class SecurityInfoProver implements MethodProver {
  constructor(private readonly deps: SecurityInfoProverDeps) {}

  async challenge(user: UserRef, method: ChoiceMethod, ctx: ProofContext): Promise<Result<Challenge, ChallengeRefusal>> {
    const { methodId, channel } = parseChoiceId(method.id);
    switch (method.kind) {
      case 'mobilePhone':
      case 'officePhone':
      case 'email': {
        const entry = await this.deps.store.get(user, methodId);
        const destination = entry?.secrets.destination;
        if (!entry || !destination || !channel || !entry.method.channels.includes(channel)) return fail('method_unavailable');
        const r = await this.deps.codes.issue({
          user,
          purpose: 'verify',
          methodId,
          channel,
          destination,
          locale: ctx.locale,
          correlationId: ctx.correlationId,
          methodKind: method.kind,
          ...(ctx.onChallenge ? { onStore: ctx.onChallenge } : {}),
        });
        if (!r.ok) return r.retryAt === undefined ? fail(r.reason) : fail(r.reason, r.retryAt);
        return ok({ kind: 'code_sent', expiresAt: r.value.expiresAt, maskedDestination: r.value.maskedDestination, channel });
      }
      case 'authenticatorApp':
        return ok({ kind: 'enter_totp' });
      case 'recoveryCodes':
        return ok({ kind: 'enter_recovery_code' });
      case 'securityQuestions': {
        const entry = await this.deps.store.get(user, methodId);
        const ids = entry?.method.questionIds ?? [];
        if (!entry || ids.length === 0) return fail('method_unavailable');
        return ok({ kind: 'answer_questions', questionIds: this.drawn(ids, ctx.flowId) });
      }
    }
  }

  /** A TOTP check needs the authenticator's secret: read with the flow, not after it (issue 15). */
  async preload(user: UserRef, response: ProofResponse): Promise<ProofMaterial | undefined> {
    if (response.kind !== 'totp') return undefined;
    return { forProver: await this.deps.totp.preload(user) };
  }

  async prove(user: UserRef, method: ChoiceMethod, ctx: ProofContext, response: ProofResponse): Promise<Result<ProofAccepted | void, ProofRefusal>> {
    const { methodId } = parseChoiceId(method.id);
    const base = { correlationId: ctx.correlationId, user, methodKind: method.kind } as const;
    switch (response.kind) {
      case 'code': {
        if (method.kind !== 'mobilePhone' && method.kind !== 'officePhone' && method.kind !== 'email') return fail('wrong');
        // F16: consuming the code and advancing the flow are one atomic step of the code store.
        const step = ctx.onAccept;
        const r = await this.deps.codes.check({ user, purpose: 'verify', methodId, code: response.code, correlationId: ctx.correlationId, methodKind: method.kind, ...(step ? { step } : {}) });
        if (r.ok) {
          return ok(step ? { advanced: steppedRecord(step) } : {});
        }
        return fail(r.reason === 'invalid' ? 'wrong' : r.reason);
      }
      case 'totp': {
        if (method.kind !== 'authenticatorApp') return fail('wrong');
        // F16 + issue 15: the used step, the method stamp, the flow step and (verified) the grant in one atomic step.
        const step = ctx.onAccept;
        const preloaded = ctx.preloaded?.forProver as readonly AuthenticatorEntry[] | undefined;
        const r = await this.deps.totp.verify(user, methodId, response.code, ctx.correlationId, {
          ...(step ? { step, ...(ctx.issueGrant ? { grant: ctx.issueGrant } : {}) } : {}),
          ...(preloaded ? { authenticators: preloaded } : {}),
        });
        if (!r.ok) return fail('wrong');
        return ok({ ...(step && r.value.stepped === true ? { advanced: steppedRecord(step) } : {}), ...(r.value.grant ? { grant: r.value.grant } : {}) });
      }
      case 'answers': {
        if (method.kind !== 'securityQuestions') return fail('wrong');
        const entry = await this.deps.store.get(user, methodId);
        const drawn = this.drawn(entry?.method.questionIds ?? [], ctx.flowId);
        const given = Object.keys(response.answers);
        // Only the questions drawn for this flow count; answering others is a wrong set (R13).
        if (given.length !== drawn.length || !drawn.every((q) => q in response.answers)) return fail('wrong');
        const r = await this.deps.questions.check(
          user,
          methodId,
          drawn.map((q) => ({ questionId: q, answer: response.answers[q] ?? '' })),
          ctx.correlationId,
        );
        return r.ok ? ok(undefined) : fail('wrong');
      }
      case 'recoveryCode': {
        if (method.kind !== 'recoveryCodes') return fail('wrong');
        const used = await this.deps.recoveryCodes.consume(user, response.code);
        await this.deps.audit.record({ ...base, type: 'recoveryCode.check', outcome: used ? 'success' : 'failure', ...(used ? {} : { reason: 'wrong' }) });
        return used ? ok(undefined) : fail('wrong');
      }
    }
  }

  /** The questions of one flow: drawn once, reproducibly from the (random, 128-bit) flow id, kept for the flow. */
  private drawn(registered: readonly string[], flowId: string): readonly string[] {
    return drawQuestions(registered, this.deps.policy.securityQuestions.answer, seededFrom(flowId));
  }
}

/** A small deterministic generator seeded from a string (FNV-1a → mulberry32). Not for secrets. */
function seededFrom(seedText: string): RandomSource {
  let h = 0x811c9dc5;
  for (let i = 0; i < seedText.length; i++) h = Math.imul(h ^ seedText.charCodeAt(i), 0x01000193);
  let s = h >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (min, max) => min + Math.floor(next() * (max - min)),
    bytes: (n) => Uint8Array.from({ length: n }, () => Math.floor(next() * 256)),
  };
}
