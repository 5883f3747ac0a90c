import type { TurnContext } from 'botbuilder';
import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { Translator } from '../locales';
import type { Result } from '../domain/errors';
import type { Policy } from '../domain/policy/policy';
import type { StartRecovery } from '../domain/recovery/startRecovery';
import type { UnlockAccount, UnlockRefusal } from '../domain/recovery/unlockAccount';
import { ANSWER_DEADLINE_MS, withDeadline } from '../domain/recovery/withDeadline';
import { DIALOG_IDS } from './dialogIds';
import { doctorRefusalText, type LaterDelivery } from './recoveryJourney';
import { turnLocale, turnTranslator } from './turnLocale';
import { callerOrThrow, correlationOf, type CallerOf, type VerifyIdentityDialog, type VerifyOptions, type VerifyResult } from './verifyIdentityDialog';

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

  /** Runs the doctor: says why an unlock cannot work (before any code), or shows the method choice. */
  private async doctorStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { context } = step;
    const t = turnTranslator(context);
    const started = await this.deps.start.execute({
      user: callerOrThrow(this.deps.callerOf, context),
      conversationId: context.activity.conversation.id,
      goal: 'unlock',
      correlationId: correlationOf(context),
    });
    if (!started.ok) {
      await context.sendActivity(doctorRefusalText(t, this.deps.policy, turnLocale(context), started.publicReason));
      return step.endDialog();
    }
    vals(step).flowId = started.flow.flowId;
    const options: VerifyOptions = {
      flowId: started.flow.flowId,
      choices: started.choices,
      total: started.flow.required,
      step: 1,
      notice: t('unlock.intro'),
    };
    return step.beginDialog(DIALOG_IDS.VERIFY, options);
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
    const outcome = await withDeadline(running, this.deps.deadlineMs ?? ANSWER_DEADLINE_MS);
    if (!outcome.done) {
      await context.sendActivity(t('unlock.working'));
      void outcome.pending.then(
        (answer) => this.deps.later.deliver(user, unlockText(t, this.deps.policy, contact, answer)),
        () => this.deps.later.deliver(user, t('unlock.failed', { contact })),
      );
      return step.endDialog();
    }
    await context.sendActivity(unlockText(t, this.deps.policy, contact, outcome.value));
    return step.endDialog();
  }

  private contact(context: TurnContext): string {
    return this.deps.policy.helpdesk.contactText[turnLocale(context)];
  }
}

function unlockText(t: Translator, policy: Policy, contact: string, answer: UnlockAnswer): string {
  if (answer.ok) return t('recovery.unlockDone', { contact });
  switch (answer.reason) {
    case 'no_grant':
    case 'expired':
    case 'consumed':
      return t('recovery.grantExpired');
    case 'wrong_conversation':
      return t('recovery.otherConversation');
    case 'in_progress':
      return t('recovery.inProgress');
    case 'daily_cap':
      return t('recovery.dailyCap', { contact });
    case 'account_unavailable':
      return t('recovery.cannotContinue', { count: policy.methods.requiredForReset, contact });
    case 'unlock_not_supported':
      return t('recovery.unlockNotSupported', { contact });
    case 'not_applied':
      return t('unlock.notApplied', { contact });
    case 'directory_denied':
      return t('unlock.directoryDenied', { contact });
    case 'pending':
      return t('recovery.pending');
  }
}

/** This waterfall's own values: references only (flow id, card activity id). */
function vals(step: WaterfallStepContext): { flowId?: string; cardId?: string } {
  return step.values;
}
