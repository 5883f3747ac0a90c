import type { TurnContext } from 'botbuilder';
import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { Translator } from '../locales';
import type { Result } from '../domain/errors';
import type { Policy } from '../domain/policy/policy';
import type { StartRecovery } from '../domain/recovery/startRecovery';
import type { UnlockAccount, UnlockRefusal } from '../domain/recovery/unlockAccount';
import { ANSWER_DEADLINE_MS } from '../domain/recovery/withDeadline';
import { DIALOG_IDS } from './dialogIds';
import { answerWithinDeadline, precheckThenVerify, writeRefusalText, type LaterDelivery } from './recoveryJourney';
import { turnLocale, turnTranslator } from './turnLocale';
import { callerOrThrow, correlationOf, formatTime, type CallerOf, type VerifyIdentityDialog, type VerifyResult } from './verifyIdentityDialog';

export interface UnlockAccountDialogDeps {
  readonly start: StartRecovery;
  readonly unlock: UnlockAccount;
  readonly verify: VerifyIdentityDialog;
  readonly policy: Policy;
  readonly later: LaterDelivery;
  readonly callerOf: CallerOf;
  readonly deadlineMs?: number;
}

type UnlockAnswer = Result<{ unlocked: true }, UnlockRefusal>;

/**
 * "Unlock my account": the SSPR doctor (goal unlock), identity verification, then the unlock itself with the
 * verified grant. Never touches the password (R28).
 */
export class UnlockAccountDialog extends ComponentDialog {
  constructor(private readonly deps: UnlockAccountDialogDeps) {
    super(DIALOG_IDS.UNLOCK);
    this.addDialog(deps.verify);
    this.addDialog(new WaterfallDialog(DIALOG_IDS.UNLOCK_START, [this.doctorStep.bind(this), this.unlockStep.bind(this)]));
    this.initialDialogId = DIALOG_IDS.UNLOCK_START;
  }

  /** The pre-check (an account that is not locked is told so, with a reset button) or the method choice. */
  private async doctorStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return precheckThenVerify(step, this.deps, { goal: 'unlock', notice: turnTranslator(step.context)('unlock.intro') });
  }

  /** Verified → unlocks and confirms (or says "working on it" and confirms later, R26). */
  private async unlockStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const result = step.result as VerifyResult | undefined;
    if (!result?.verified) return step.endDialog();
    const { context } = step;
    const t = turnTranslator(context);
    const user = callerOrThrow(this.deps.callerOf, context);
    const contact = this.contact(context);
    const running = this.deps.unlock.execute({
      user,
      conversationId: context.activity.conversation.id,
      flowId: vals(step).flowId ?? '',
      correlationId: correlationOf(context),
    });
    const outcome = await answerWithinDeadline(context, {
      running,
      deadlineMs: this.deps.deadlineMs ?? ANSWER_DEADLINE_MS,
      workingText: t('unlock.working'),
      failedText: t('unlock.failed', { contact }),
      later: this.deps.later,
      user,
      text: (answer) => unlockText(t, contact, answer, (at) => formatTime(context, at)),
    });
    if (outcome.done) await context.sendActivity(unlockText(t, contact, outcome.answer, (at) => formatTime(context, at)));
    return step.endDialog();
  }

  private contact(context: TurnContext): string {
    return this.deps.policy.helpdesk.contactText[turnLocale(context)];
  }
}

function unlockText(t: Translator, contact: string, answer: UnlockAnswer, when: (at: number) => string): string {
  if (answer.ok) return t('recovery.unlockDone', { contact });
  if (answer.reason === 'unlock_not_supported') return t('recovery.unlockNotSupported', { contact });
  if (answer.reason === 'not_applied') return t('unlock.notApplied', { contact });
  if (answer.reason === 'directory_denied') return t('unlock.directoryDenied', { contact });
  return writeRefusalText(t, contact, answer.reason, answer.retryAt === undefined ? undefined : when(answer.retryAt)) ?? t('unlock.failed', { contact });
}

/** This waterfall's own values: references only (flow id, card activity id). */
function vals(step: WaterfallStepContext): { flowId?: string; cardId?: string } {
  return step.values;
}
