import type { TurnContext } from 'botbuilder';
import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { buildNewPasswordCard } from '../cards/recovery/newPasswordCard';
import { buildPasswordReceivedCard } from '../cards/recovery/passwordReceivedCard';
import { ResetPasswordVerb } from '../cards/verbs';
import type { Translator } from '../locales';
import type { UserRef } from '../domain/model/user';
import type { Policy } from '../domain/policy/policy';
import { passwordReasonKey, passwordRules, type PasswordAdvice, type PasswordCheckResult, type PasswordReason } from '../domain/policy/passwordPolicy';
import type { DirectoryCapabilities } from '../domain/ports/directory';
import type { ResetPassword, ResetPasswordRefusal } from '../domain/recovery/resetPassword';
import type { StartRecovery } from '../domain/recovery/startRecovery';
import { ANSWER_DEADLINE_MS } from '../domain/recovery/withDeadline';
import type { Result } from '../domain/errors';
import { DIALOG_IDS } from './dialogIds';
import { turnLocale, turnTranslator } from './turnLocale';
import {
  callerOrThrow,
  correlationOf,
  formatTime,
  sendCard,
  type CallerOf,
  type VerifyIdentityDialog,
  type VerifyResult,
  replaceSubmittedCard,
} from './verifyIdentityDialog';
import { answerWithinDeadline, precheckThenVerify, writeRefusalText, type LaterDelivery } from './recoveryJourney';

/** Checks a candidate password against the policy for this user (R14), before the directory is called. */
export type NewPasswordCheck = (user: UserRef, password: string, confirmation: string) => Promise<PasswordCheckResult>;

export interface ResetPasswordDialogDeps {
  readonly start: StartRecovery;
  readonly reset: ResetPassword;
  readonly verify: VerifyIdentityDialog;
  readonly policy: Policy;
  readonly capabilities: () => DirectoryCapabilities;
  readonly checkNewPassword: NewPasswordCheck;
  /** Delivers a result that arrives after the turn ended (R26). */
  readonly later: LaterDelivery;
  readonly callerOf: CallerOf;
  /** R26: answer within this many ms; slower directory calls finish in the background. */
  readonly deadlineMs?: number;
  /** The Teams dialog page for password entry, once it exists (offered on the card). */
  readonly secureWindowUrl?: string;
}

/** The password step's options: the flow and why the previous try was refused (ids only, never the password). */
interface PasswordOptions {
  readonly flowId: string;
  readonly reasons?: readonly PasswordReason[];
  readonly advice?: readonly PasswordAdvice[];
  readonly notice?: string;
}

type ResetAnswer = Result<{ changedAt: number }, ResetPasswordRefusal>;

/**
 * "I forgot my password": the SSPR doctor, identity verification, then a new password typed in a masked card
 * (never in chat, R15), checked against the policy (R14) and written once with the verified grant (R16, R27).
 */
export class ResetPasswordDialog extends ComponentDialog {
  constructor(private readonly deps: ResetPasswordDialogDeps) {
    super(DIALOG_IDS.RESET);
    this.addDialog(deps.verify);
    this.addDialog(new WaterfallDialog(DIALOG_IDS.RESET_START, [this.doctorStep.bind(this), this.afterVerifyStep.bind(this)]));
    this.addDialog(new WaterfallDialog(DIALOG_IDS.RESET_PASSWORD, [this.askPasswordStep.bind(this), this.setPasswordStep.bind(this)]));
    this.initialDialogId = DIALOG_IDS.RESET_START;
  }

  /** The pre-check (what stands in the way, with buttons) or the method choice (dialogs/recoveryJourney.ts). */
  private async doctorStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return precheckThenVerify(step, this.deps, { goal: 'reset' });
  }

  /** Verified → the password card; otherwise the journey ends (the verify dialog already said why). */
  private async afterVerifyStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const result = step.result as VerifyResult | undefined;
    if (!result?.verified) return step.endDialog();
    return step.replaceDialog(DIALOG_IDS.RESET_PASSWORD, { flowId: vals(step).flowId ?? '' } satisfies PasswordOptions);
  }

  /** Shows the password card: the rules up front, two masked inputs, and why the last try was refused. */
  private async askPasswordStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const o = step.options as PasswordOptions;
    const { context } = step;
    const t = turnTranslator(context);
    const rules = passwordRules(this.deps.policy.password, this.deps.capabilities());
    const params = { min: rules.minLength, max: rules.maxLength, recommended: rules.recommendedLength };
    const problems = [...(o.notice ? [t(o.notice)] : []), ...(o.reasons ?? []).map((r) => t(passwordReasonKey(r), params))];
    const card = buildNewPasswordCard({
      t,
      flowId: o.flowId,
      rules,
      ...(problems.length ? { problems } : {}),
      ...(o.advice?.length ? { advice: o.advice.map((a) => t(a, params)) } : {}),
      ...(this.deps.secureWindowUrl ? { secureWindowUrl: this.deps.secureWindowUrl } : {}),
    });
    const id = await sendCard(context, card);
    if (id) vals(step).cardId = id;
    return WaterfallDialog.EndOfTurn;
  }

  /**
   * Clears the submitted card, checks the password (R14), then resets it with the grant. A password typed as chat
   * text is refused unused (R15); a directory refusal lets the user try another within the grant (F13); a slow
   * directory answers "working on it" and the result follows proactively (R26).
   */
  private async setPasswordStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const o = step.options as PasswordOptions;
    const { context } = step;
    const t = turnTranslator(context);
    const value = context.activity.value as Record<string, unknown> | undefined;

    if (value === undefined || value === null) {
      // R15: whatever was typed is never used, never logged, and the user is told to pick another password.
      if ((context.activity.text ?? '').trim().length > 0) await context.sendActivity(t('reset.plainText'));
      return step.replaceDialog(DIALOG_IDS.RESET_PASSWORD, { flowId: o.flowId } satisfies PasswordOptions);
    }
    if (typeof value === 'object' && ('newPassword' in value || 'confirmPassword' in value)) {
      // R15: the card with the typed values is replaced right away.
      await replaceSubmittedCard(context, vals(step).cardId, buildPasswordReceivedCard(t));
    }
    const parsed = ResetPasswordVerb.safeParse(value);
    if (!parsed.success || parsed.data.flowId !== o.flowId) {
      return step.replaceDialog(DIALOG_IDS.RESET_PASSWORD, { flowId: o.flowId, notice: 'verify.invalid' } satisfies PasswordOptions);
    }
    const user = callerOrThrow(this.deps.callerOf, context);
    const password = parsed.data.newPassword ?? '';
    const check = await this.deps.checkNewPassword(user, password, parsed.data.confirmPassword ?? '');
    if (!check.ok) {
      return step.replaceDialog(DIALOG_IDS.RESET_PASSWORD, { flowId: o.flowId, reasons: check.reasons, advice: check.advice } satisfies PasswordOptions);
    }

    const running = this.deps.reset.execute({
      user,
      conversationId: context.activity.conversation.id,
      flowId: o.flowId,
      newPassword: password,
      correlationId: correlationOf(context),
    });
    const contact = this.contact(context);
    const outcome = await answerWithinDeadline(context, {
      running,
      deadlineMs: this.deps.deadlineMs ?? ANSWER_DEADLINE_MS,
      workingText: t('reset.working'),
      failedText: t('reset.background.failed', { contact }),
      later: this.deps.later,
      user,
      text: (answer) => this.backgroundText(t, contact, answer, (at) => formatTime(context, at)),
    });
    if (!outcome.done) return step.endDialog();
    const answer = outcome.answer;
    if (!answer.ok && answer.reason.startsWith('password_')) {
      return step.replaceDialog(DIALOG_IDS.RESET_PASSWORD, { flowId: o.flowId, notice: 'recovery.passwordRefused' } satisfies PasswordOptions);
    }
    await context.sendActivity(resultText(t, contact, answer, (at) => formatTime(context, at)));
    return step.endDialog();
  }

  private backgroundText(t: Translator, contact: string, answer: ResetAnswer, when: (at: number) => string): string {
    if (!answer.ok && answer.reason.startsWith('password_')) return t('reset.background.refused');
    return resultText(t, contact, answer, when);
  }

  private contact(context: TurnContext): string {
    return this.deps.policy.helpdesk.contactText[turnLocale(context)];
  }
}

/** The user's words for a reset answer (success, grant problems, pending, not applied). */
function resultText(t: Translator, contact: string, answer: ResetAnswer, when: (at: number) => string): string {
  if (answer.ok) return t('recovery.resetDone', { contact });
  switch (answer.reason) {
    case 'not_applied':
      return t('recovery.notApplied');
    case 'directory_denied':
      return t('recovery.directoryDenied', { contact });
    case 'password_history':
    case 'password_too_short':
    case 'password_too_long':
    case 'password_complexity':
      return t(`recovery.passwordRefused.${answer.reason.slice('password_'.length)}`);
    case 'password_min_age':
      return t('recovery.passwordRefused.min_age', { contact });
    default:
      return writeRefusalText(t, contact, answer.reason, answer.retryAt === undefined ? undefined : when(answer.retryAt)) ?? t('recovery.passwordRefused');
  }
}

/** This waterfall's own values: references only (flow id, card activity id). */
function vals(step: WaterfallStepContext): { flowId?: string; cardId?: string } {
  return step.values;
}
