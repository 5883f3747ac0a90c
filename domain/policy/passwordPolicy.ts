import type { DirectoryCapabilities } from '../ports/directory';
import type { Policy } from './policy';
import { normalizeForBannedCheck, scoreBannedTerms } from './bannedTerms';

/** Every specific reason a new password is refused before the directory is called (R14). */
export type PasswordReason =
  | 'too_short'
  | 'too_long'
  | 'control_chars'
  | 'non_ascii'
  | 'needs_three_classes'
  | 'common'
  | 'banned_term'
  | 'contains_name'
  | 'mismatch';

/** Advice ids (locale keys): shown whether or not the password is accepted. */
export type PasswordAdvice = 'password.advice.recommendLength' | 'password.advice.weak' | 'password.advice.passphrase';

/** zxcvbn-style strength 0 (very weak) … 4 (strong); injected so domain/ stays pure. */
export type StrengthEstimator = (password: string, userInputs: readonly string[]) => 0 | 1 | 2 | 3 | 4;

export interface PasswordCheckContext {
  readonly policy: Policy['password'];
  readonly capabilities: DirectoryCapabilities;
  readonly user: {
    readonly displayName: string;
    readonly givenName?: string;
    readonly surname?: string;
    readonly userPrincipalName: string;
  };
  /** The shipped common/breached list (lower-case entries), or a lookup function. */
  readonly commonPasswords: ReadonlySet<string> | ((candidate: string) => boolean);
  readonly strength?: StrengthEstimator;
  /** The confirmation field; omitted when the caller checks a single field. */
  readonly confirmation?: string;
}

export interface PasswordCheckResult {
  readonly ok: boolean;
  /** All reasons that apply, in a stable order; empty when ok. */
  readonly reasons: readonly PasswordReason[];
  readonly advice: readonly PasswordAdvice[];
  /** Strength 0–4 when an estimator was given, else null. Never the password itself. */
  readonly score: number | null;
  /** Effective bounds, for the messages ({min}, {max}). */
  readonly minLength: number;
  readonly maxLength: number;
}

/** The rules said up front, before the user types (R14: Entra's composition rules are announced). */
export interface PasswordRules {
  readonly minLength: number;
  readonly maxLength: number;
  readonly recommendedLength: number;
  readonly requiresThreeOfFourClasses: boolean;
  readonly asciiOnly: boolean;
}

/** Points a password needs in the banned-term score (Entra: 5). */
export const BANNED_TERM_MIN_POINTS = 5;
/** Name-like terms shorter than this are not checked (R14). */
export const NAME_TERM_MIN_LENGTH = 4;

const REASON_ORDER: readonly PasswordReason[] = [
  'too_short',
  'too_long',
  'control_chars',
  'non_ascii',
  'needs_three_classes',
  'common',
  'banned_term',
  'contains_name',
  'mismatch',
];

/** Effective rules: the stricter of the policy file and the directory. */
export function passwordRules(policy: Policy['password'], capabilities: DirectoryCapabilities): PasswordRules {
  const minLength = Math.max(policy.minLength, capabilities.passwordMinLength, 1);
  const maxLength = Math.max(minLength, Math.min(policy.maxLength, capabilities.passwordMaxLength));
  return {
    minLength,
    maxLength,
    recommendedLength: Math.max(policy.recommendedLength, minLength),
    requiresThreeOfFourClasses: capabilities.requiresThreeOfFourClasses,
    asciiOnly: capabilities.asciiOnly,
  };
}

/** Locale key of a reason: `password.reason.<reason>` (params: {min}, {max}). */
export function passwordReasonKey(reason: PasswordReason): string {
  return `password.reason.${reason}`;
}

// C0, DEL and C1 controls, plus the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\u0000-\u007f]/u;

function characterClasses(password: string): number {
  let n = 0;
  if (/[a-z]/.test(password)) n++;
  if (/[A-Z]/.test(password)) n++;
  if (/[0-9]/.test(password)) n++;
  if (/[^A-Za-z0-9]/.test(password)) n++;
  return n;
}

/** The user's name-like terms (names, UPN parts, organisation), normalised, ≥ 4 characters. */
export function nameTerms(user: PasswordCheckContext['user'], organisationName: string): string[] {
  const raw: string[] = [organisationName, user.displayName, user.givenName ?? '', user.surname ?? ''];
  const [local = '', domain = ''] = user.userPrincipalName.split('@');
  raw.push(local, domain.split('.')[0] ?? '');
  const terms = new Set<string>();
  for (const r of raw) {
    for (const part of [r, ...r.split(/[\s._\-+,'’]+/u)]) {
      const n = normalizeForBannedCheck(part.replace(/\s+/gu, ''));
      if ([...n].length >= NAME_TERM_MIN_LENGTH) terms.add(n);
    }
  }
  return [...terms];
}

function isCommon(password: string, list: PasswordCheckContext['commonPasswords']): boolean {
  const has = typeof list === 'function' ? list : (p: string) => list.has(p);
  const lower = password.toLowerCase();
  const candidates = new Set([lower, normalizeForBannedCheck(password)]);
  // A common word with only digits/symbols around it is as weak as the word ("Summer2024!", "!!dragon").
  const core = lower.replace(/^[^a-z]+|[^a-z]+$/gu, '');
  if (core.length >= 4) candidates.add(core);
  for (const c of candidates) if (has(c)) return true;
  return false;
}

/**
 * Checks a new password against the bot's rules before the directory is called (R14). Pure and side-effect free.
 * Returns every applicable reason and advice ids; the result never contains the password or any part of it.
 */
export function checkPassword(password: string, ctx: PasswordCheckContext): PasswordCheckResult {
  const rules = passwordRules(ctx.policy, ctx.capabilities);
  const reasons = new Set<PasswordReason>();
  const length = [...password].length;

  if (length < rules.minLength) reasons.add('too_short');
  if (length > rules.maxLength) reasons.add('too_long');
  if (CONTROL.test(password)) reasons.add('control_chars');
  if (rules.asciiOnly && NON_ASCII.test(password.replace(new RegExp(CONTROL, 'gu'), ''))) reasons.add('non_ascii');
  if (rules.requiresThreeOfFourClasses && characterClasses(password) < 3) reasons.add('needs_three_classes');

  // Content checks cost time on huge inputs and say nothing new when the length is already wrong.
  const contentCheckable = length > 0 && length <= rules.maxLength;
  if (contentCheckable) {
    if (isCommon(password, ctx.commonPasswords)) reasons.add('common');
    const banned = [...ctx.policy.bannedTerms, ctx.policy.organisationName];
    const score = scoreBannedTerms(password, banned);
    if (score.termsFound > 0 && score.points < BANNED_TERM_MIN_POINTS) reasons.add('banned_term');
    const normalized = normalizeForBannedCheck(password);
    if (nameTerms(ctx.user, ctx.policy.organisationName).some((t) => normalized.includes(t))) reasons.add('contains_name');
  }
  if (ctx.confirmation !== undefined && ctx.confirmation !== password) reasons.add('mismatch');

  const advice: PasswordAdvice[] = [];
  let score: number | null = null;
  if (contentCheckable && ctx.strength) {
    const inputs = [ctx.user.displayName, ctx.user.givenName ?? '', ctx.user.surname ?? '', ctx.user.userPrincipalName, ctx.policy.organisationName].filter(
      (s) => s.length > 0,
    );
    score = ctx.strength(password, inputs);
  }
  if (length < rules.recommendedLength) advice.push('password.advice.recommendLength');
  if (score !== null && score < 3) advice.push('password.advice.weak');
  if (reasons.has('common') || reasons.has('banned_term') || (score !== null && score < 3)) advice.push('password.advice.passphrase');

  const ordered = REASON_ORDER.filter((r) => reasons.has(r));
  return { ok: ordered.length === 0, reasons: ordered, advice, score, minLength: rules.minLength, maxLength: rules.maxLength };
}
