import type { RandomSource } from '../ports/clock';
import type { Policy } from '../policy/policy';

/** Built-in question ids; the text lives in the locale catalogs under `questions.<id>`. */
export const BUILT_IN_QUESTION_IDS = [
  'firstPet',
  'birthCity',
  'firstSchool',
  'childhoodFriend',
  'firstCar',
  'favouriteTeacher',
  'firstJobCity',
  'parentsMeetCity',
  'firstConcert',
  'childhoodStreet',
] as const;

export const ANSWER_MIN_LENGTH = 3;
export const ANSWER_MAX_LENGTH = 40;
/** Raw input longer than this is refused before normalisation (10 KB pastes). */
const RAW_ANSWER_LIMIT = 400;

/** Question ids a user may pick from under this policy. */
export function availableQuestionIds(policy: Policy): readonly string[] {
  const custom = policy.securityQuestions.custom.map((q) => `custom.${q.id}`);
  return policy.securityQuestions.builtIn ? [...BUILT_IN_QUESTION_IDS, ...custom] : custom;
}

/** R13: NFKC, trim, collapse inner white space, case fold. */
export function normaliseAnswer(raw: string): string {
  return raw.normalize('NFKC').trim().replace(/\s+/gu, ' ').toLowerCase().normalize('NFKC');
}

const length = (s: string): number => [...s].length;

export type QuestionSetProblem =
  | 'wrong_count'
  | 'unknown_question'
  | 'duplicate_question'
  | 'duplicate_answer'
  | 'answer_too_short'
  | 'answer_too_long'
  | 'answer_contains_question'
  | 'answer_contains_name';

export interface QuestionAnswerInput {
  readonly questionId: string;
  readonly answer: string;
}

export interface QuestionSetCheck {
  /** Texts of each question in every language (to refuse answers that repeat the question). */
  readonly questionTexts: (questionId: string) => readonly string[];
  /** The user's names (display, given, surname, UPN local part) — an answer may not contain them. */
  readonly userNames: readonly string[];
}

/**
 * R13: validate a registration. On success returns the normalised answers in input order.
 * `problemIndex` points at the offending entry so a card can highlight it.
 */
export function validateQuestionSet(
  input: readonly QuestionAnswerInput[],
  policy: Policy,
  check: QuestionSetCheck,
):
  | { ok: true; value: readonly { questionId: string; normalised: string }[] }
  | { ok: false; reason: QuestionSetProblem; problemIndex?: number } {
  if (input.length !== policy.securityQuestions.register) return { ok: false, reason: 'wrong_count' };
  const available = new Set(availableQuestionIds(policy));
  const seenQ = new Set<string>();
  const seenA = new Set<string>();
  const names = check.userNames.map(normaliseAnswer).filter((n) => length(n) >= 3);
  const out: { questionId: string; normalised: string }[] = [];
  for (const [i, item] of input.entries()) {
    if (!available.has(item.questionId)) return { ok: false, reason: 'unknown_question', problemIndex: i };
    if (seenQ.has(item.questionId)) return { ok: false, reason: 'duplicate_question', problemIndex: i };
    seenQ.add(item.questionId);
    if (length(item.answer) > RAW_ANSWER_LIMIT) return { ok: false, reason: 'answer_too_long', problemIndex: i };
    const a = normaliseAnswer(item.answer);
    if (length(a) < ANSWER_MIN_LENGTH) return { ok: false, reason: 'answer_too_short', problemIndex: i };
    if (length(a) > ANSWER_MAX_LENGTH) return { ok: false, reason: 'answer_too_long', problemIndex: i };
    if (seenA.has(a)) return { ok: false, reason: 'duplicate_answer', problemIndex: i };
    seenA.add(a);
    const texts = check.questionTexts(item.questionId).map(normaliseAnswer).filter((q) => q.length > 0);
    if (texts.some((q) => a.includes(q) || q === a)) return { ok: false, reason: 'answer_contains_question', problemIndex: i };
    if (names.some((n) => a.includes(n))) return { ok: false, reason: 'answer_contains_name', problemIndex: i };
    out.push({ questionId: item.questionId, normalised: a });
  }
  return { ok: true, value: out };
}

/**
 * Draw `n` distinct question ids from the registered ones (Fisher–Yates with the injected random source).
 * Call once per flow and keep the result in the flow (ids only) until it ends (R13).
 */
export function drawQuestions(registeredIds: readonly string[], n: number, random: RandomSource): readonly string[] {
  const pool = [...registeredIds];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = random.int(0, i + 1);
    const tmp = pool[i] as string;
    pool[i] = pool[j] as string;
    pool[j] = tmp;
  }
  return pool.slice(0, Math.min(n, pool.length));
}
