import type { Result } from '../errors';
import type { UserRef } from '../model/user';
import { checkPassword, passwordRules, type PasswordCheckResult, type PasswordRules, type StrengthEstimator } from '../policy/passwordPolicy';
import type { Policy } from '../policy/policy';
import type { Directory } from '../ports/directory';
import type { ResetPassword, ResetPasswordInput, ResetPasswordRefusal } from './resetPassword';
import { ANSWER_DEADLINE_MS, withDeadline } from './withDeadline';

/** The common-password list and the strength estimator (adapters; loaded on first use). */
export interface PasswordTools {
  commonPasswords(): Promise<ReadonlySet<string>>;
  strength(): StrengthEstimator;
}

export interface ChooseNewPasswordDeps {
  readonly policy: Policy;
  readonly directory: Directory;
  readonly reset: ResetPassword;
  readonly tools: PasswordTools;
  /** R26: answer within this many ms; a slower directory write finishes in the background. */
  readonly deadlineMs?: number;
}

export type ResetAnswer = Result<{ changedAt: number }, ResetPasswordRefusal>;

/** What choosing a password came to: refused by the policy (nothing written), answered, or still running (R26). */
export type ChooseOutcome =
  | { readonly status: 'rejected'; readonly check: PasswordCheckResult }
  | { readonly status: 'answered'; readonly answer: ResetAnswer }
  | { readonly status: 'pending'; readonly later: Promise<ResetAnswer> };

/**
 * The one password rule book (R14, R26, R27) for every surface — the chat's masked card and the Teams dialog page:
 * the candidate is checked against the directory's bounds, the common list, banned terms and the user's own names
 * before the directory is called, then written once with the verified grant; a write slower than the R26 deadline
 * keeps running and its answer comes later. The password is never stored, logged or returned.
 */
export class ChooseNewPassword {
  constructor(private readonly deps: ChooseNewPasswordDeps) {}

  /** The effective length bounds and advice length (for the card and the page). */
  rules(): PasswordRules {
    return passwordRules(this.deps.policy.password, this.deps.directory.capabilities());
  }

  /** R14: check a candidate for this user (no directory write). */
  async evaluate(user: UserRef, password: string, confirmation?: string): Promise<PasswordCheckResult> {
    const found = await this.deps.directory.findUser(user);
    return checkPassword(password, {
      policy: this.deps.policy.password,
      capabilities: this.deps.directory.capabilities(),
      user: found
        ? {
            displayName: found.displayName,
            userPrincipalName: found.userPrincipalName,
            ...(found.givenName ? { givenName: found.givenName } : {}),
            ...(found.surname ? { surname: found.surname } : {}),
          }
        : { displayName: '', userPrincipalName: '' },
      commonPasswords: await this.deps.tools.commonPasswords(),
      strength: this.deps.tools.strength(),
      ...(confirmation === undefined ? {} : { confirmation }),
    });
  }

  /** Check, then write with the grant of `flowId` (R16, R27), answering within the R26 deadline. */
  async choose(input: ResetPasswordInput & { readonly confirmation?: string }): Promise<ChooseOutcome> {
    const check = await this.evaluate(input.user, input.newPassword, input.confirmation);
    if (!check.ok) return { status: 'rejected', check };
    const { confirmation: _c, ...write } = input;
    const outcome = await withDeadline(this.deps.reset.execute(write), this.deps.deadlineMs ?? ANSWER_DEADLINE_MS);
    return outcome.done ? { status: 'answered', answer: outcome.value } : { status: 'pending', later: outcome.pending };
  }
}
