import { fail, ok, type Result } from '../errors';
import type { UserRef } from '../model/user';
import type { Policy } from '../policy/policy';
import type { AnswerHasher } from '../ports/answerHasher';
import type { AuditLog } from '../ports/auditLog';
import type { Clock } from '../ports/clock';
import type { MethodStore } from '../ports/methodStore';
import { normaliseAnswer, validateQuestionSet, type QuestionAnswerInput, type QuestionSetCheck, type QuestionSetProblem } from './securityQuestions';

/**
 * Security questions (R13): registration validates and hashes each answer (argon2id through the AnswerHasher);
 * checking a drawn set is all-or-nothing — a wrong set is one failure (the caller counts it toward R9).
 */
export class SecurityQuestionService {
  constructor(
    private readonly deps: {
      readonly store: MethodStore;
      readonly hasher: AnswerHasher;
      readonly audit: AuditLog;
      readonly clock: Clock;
      readonly policy: Policy;
    },
  ) {}

  async register(
    user: UserRef,
    methodId: string,
    input: readonly QuestionAnswerInput[],
    check: QuestionSetCheck,
    correlationId: string,
  ): Promise<Result<void, QuestionSetProblem | 'disabled'> & { problemIndex?: number }> {
    const { store, hasher, audit, clock, policy } = this.deps;
    const base = { correlationId, user, methodKind: 'securityQuestions' } as const;
    if (!policy.methods.enabled.includes('securityQuestions')) return fail('disabled');
    const v = validateQuestionSet(input, policy, check);
    if (!v.ok) {
      await audit.record({ ...base, type: 'method.register', outcome: 'refused', reason: v.reason });
      return v.problemIndex === undefined ? fail(v.reason) : { ...fail(v.reason), problemIndex: v.problemIndex };
    }
    const answerHashes: Record<string, string> = {};
    await Promise.all(
      v.value.map(async (a) => {
        answerHashes[a.questionId] = await hasher.hash(a.normalised);
      }),
    );
    const now = clock.now();
    await store.save(user, {
      method: {
        id: methodId,
        kind: 'securityQuestions',
        confirmedAt: now,
        lastUsedAt: null,
        createdAt: now,
        source: 'user',
        channels: [],
        questionIds: v.value.map((a) => a.questionId),
      },
      secrets: { answerHashes },
    });
    await audit.record({ ...base, type: 'method.register', outcome: 'success' });
    return ok(undefined);
  }

  /** Check answers to the drawn questions; all must match. */
  async check(
    user: UserRef,
    methodId: string,
    answers: readonly QuestionAnswerInput[],
    correlationId: string,
  ): Promise<Result<void, 'wrong' | 'no_method'>> {
    const { store, hasher, audit, clock, policy } = this.deps;
    const base = { correlationId, user, methodKind: 'securityQuestions' } as const;
    const entry = await store.get(user, methodId);
    const hashes = entry?.secrets.answerHashes;
    if (!entry || !hashes) return fail('no_method');
    const distinct = new Set(answers.map((a) => a.questionId));
    let right = distinct.size === answers.length && answers.length >= policy.securityQuestions.answer;
    // Verify every answer even after a mismatch, so timing does not tell which one was wrong.
    for (const a of answers) {
      const h = hashes[a.questionId];
      const good = h !== undefined && [...a.answer].length <= 400 && (await hasher.verify(h, normaliseAnswer(a.answer)));
      right = right && good;
    }
    await audit.record({ ...base, type: 'questions.check', outcome: right ? 'success' : 'failure', ...(right ? {} : { reason: 'wrong' }) });
    if (!right) return fail('wrong');
    await store.markUsed(user, methodId, clock.now());
    return ok(undefined);
  }
}
