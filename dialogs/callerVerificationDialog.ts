import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { UserRef } from '../domain/model/user';
import type { Policy } from '../domain/policy/policy';
import type { StartRecovery } from '../domain/recovery/startRecovery';
import { DIALOG_IDS } from './dialogIds';
import { precheckThenVerify } from './recoveryJourney';
import { turnTranslator } from './turnLocale';
import { callerOrThrow, correlationOf, type CallerOf, type VerifyIdentityDialog, type VerifyResult } from './verifyIdentityDialog';

export interface CallerVerificationDeps {
  readonly start: StartRecovery;
  readonly verify: VerifyIdentityDialog;
  readonly policy: Policy;
  readonly callerOf: CallerOf;
  /** Tells the agent's hand-off how it ended (pass/fail); the method kinds reach it through the audit events. */
  readonly finished: (user: UserRef, passed: boolean, reason: string, correlationId: string) => Promise<void>;
}

/**
 * Caller verification for a helpdesk agent (`verify <user>`, issue 6): the user proves who they are with their own
 * methods (the same verify-identity dialog as reset and unlock, same policy and R9 block), and the agent's card shows
 * only pass or fail, the method kinds and the times. Nothing is changed on the account.
 */
export class CallerVerificationDialog extends ComponentDialog {
  constructor(private readonly deps: CallerVerificationDeps) {
    super(DIALOG_IDS.CALLER_VERIFY);
    this.addDialog(deps.verify);
    this.addDialog(new WaterfallDialog(DIALOG_IDS.CALLER_VERIFY_START, [this.doctorStep.bind(this), this.reportStep.bind(this)]));
    this.initialDialogId = DIALOG_IDS.CALLER_VERIFY_START;
  }

  /** The pre-check (can this user verify at all?) and the method choice, or what stands in the way. */
  private async doctorStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return precheckThenVerify(step, this.deps, {
      goal: 'verify',
      notice: turnTranslator(step.context)('helpdesk.verify.intro'),
      onRefused: (user) => this.deps.finished(user, false, 'cannot_verify', correlationOf(step.context)),
    });
  }

  /** Tells the user the helpdesk now sees the result (pass or fail only). */
  private async reportStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { context } = step;
    const t = turnTranslator(context);
    const passed = (step.result as VerifyResult | undefined)?.verified === true;
    await this.deps.finished(callerOrThrow(this.deps.callerOf, context), passed, passed ? 'verified' : 'not_verified', correlationOf(context));
    await context.sendActivity(t(passed ? 'helpdesk.verify.passed' : 'helpdesk.verify.failed'));
    return step.endDialog();
  }
}
