import type { TurnContext } from 'botbuilder';
import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { buildAccountCheckCard, buildPrecheckCard } from '../cards/recovery/precheckCard';
import type { Translator } from '../locales';
import type { UserRef } from '../domain/model/user';
import type { Policy } from '../domain/policy/policy';
import type { PrecheckReason, StartRecovery } from '../domain/recovery/startRecovery';
import { withDeadline } from '../domain/recovery/withDeadline';
import { DIALOG_IDS } from './dialogIds';
import { turnLocale, turnTranslator } from './turnLocale';
import { callerOrThrow, correlationOf, formatTime, sendCard, type CallerOf, type VerifyOptions } from './verifyIdentityDialog';

/**
 * Delivers a message to the user's 1:1 chat after the turn that started the work has ended (R26: a directory call
 * slower than 2 s finishes in the background). Implemented by the bot layer with the stored ConversationReference.
 */
export interface LaterDelivery {
  deliver(user: UserRef, text: string): Promise<void>;
}

/** What the shared first step of reset, unlock and caller verification needs. */
export interface PrecheckStepDeps {
  readonly start: StartRecovery;
  readonly policy: Policy;
  readonly callerOf: CallerOf;
}

export interface PrecheckStepOptions {
  readonly goal: 'reset' | 'unlock' | 'verify';
  /** Shown above the method choice (e.g. "To unlock your account, first verify it's you"). */
  readonly notice?: string;
  /** Told when the pre-check refused (caller verification reports the failure to the agent). */
  readonly onRefused?: (user: UserRef, reason: PrecheckReason) => Promise<void>;
}

/**
 * The first step of every journey that verifies the caller (reset, unlock, helpdesk caller verification — one copy):
 * the pre-check on the caller's own account. Refused → a card that says exactly what stands in the way, with the next
 * step as buttons (R17 revised), and the journey ends. Ready → the verify-identity dialog with the method choice; the
 * flow id is kept in `step.values.flowId`.
 */
export async function precheckThenVerify(step: WaterfallStepContext, deps: PrecheckStepDeps, o: PrecheckStepOptions): Promise<DialogTurnResult> {
  const { context } = step;
  const user = callerOrThrow(deps.callerOf, context);
  const started = await deps.start.execute({
    user,
    conversationId: context.activity.conversation.id,
    goal: o.goal,
    correlationId: correlationOf(context),
  });
  if (!started.ok) {
    await sendPrecheckCard(context, deps.policy, o.goal, started.auditReason, started.retryAt);
    await o.onRefused?.(user, started.auditReason);
    return step.endDialog();
  }
  (step.values as { flowId?: string }).flowId = started.flow.flowId;
  const options: VerifyOptions = {
    flowId: started.flow.flowId,
    choices: started.choices,
    total: started.flow.required,
    step: 1,
    ...(o.notice ? { notice: o.notice } : {}),
  };
  return step.beginDialog(DIALOG_IDS.VERIFY, options);
}

/** The pre-check's card for the caller's own account (also used when a later step finds the account changed). */
export async function sendPrecheckCard(
  context: TurnContext,
  policy: Policy,
  goal: 'reset' | 'unlock' | 'verify',
  reason: PrecheckReason,
  retryAt?: number,
): Promise<void> {
  const t = turnTranslator(context);
  await sendCard(
    context,
    buildPrecheckCard({
      t,
      goal,
      reason,
      required: policy.methods.requiredForReset,
      usable: 0,
      ...(retryAt !== undefined ? { retryAt: formatTime(context, retryAt) } : {}),
      contact: policy.helpdesk.contactText[turnLocale(context)],
    }),
  );
}

/** Why the one directory write of a reset or an unlock did not go ahead, for the reasons both share. */
export type WriteRefusal = 'no_grant' | 'expired' | 'consumed' | 'wrong_conversation' | 'in_progress' | 'recovery_cap' | 'account_unavailable' | 'pending';

const WRITE_REFUSAL_KEY: Readonly<Record<WriteRefusal, string>> = {
  no_grant: 'recovery.grantExpired',
  expired: 'recovery.grantExpired',
  consumed: 'recovery.grantExpired',
  wrong_conversation: 'recovery.otherConversation',
  in_progress: 'recovery.inProgress',
  recovery_cap: 'recovery.dailyCap',
  account_unavailable: 'precheck.account_disabled.body',
  pending: 'recovery.pending',
};

/**
 * The words for a shared write refusal, or undefined for a reason that is the journey's own. `time` is when it may
 * be tried again (the reset/unlock cap, C6), already in the user's time zone.
 */
export function writeRefusalText(t: Translator, contact: string, reason: string, time?: string): string | undefined {
  const key = (WRITE_REFUSAL_KEY as Readonly<Record<string, string>>)[reason];
  return key ? t(key, { contact, time: time ?? '' }) : undefined;
}

/**
 * Runs the directory write within the answer deadline (R26): the answer now, or "working on it" now and the answer
 * delivered later to the user's chat. Returns the answer's text when it came in time.
 */
export async function answerWithinDeadline<A>(
  context: TurnContext,
  o: {
    readonly running: Promise<A>;
    readonly deadlineMs: number;
    readonly workingText: string;
    readonly failedText: string;
    readonly later: LaterDelivery;
    readonly user: UserRef;
    readonly text: (answer: A) => string;
  },
): Promise<{ readonly done: true; readonly answer: A } | { readonly done: false }> {
  const outcome = await withDeadline(o.running, o.deadlineMs);
  if (outcome.done) return { done: true, answer: outcome.value };
  await context.sendActivity(o.workingText);
  void outcome.pending.then(
    (answer) => o.later.deliver(o.user, o.text(answer)),
    () => o.later.deliver(o.user, o.failedText),
  );
  return { done: false };
}

/** The helpdesk sentence of this deployment, in the caller's language. */
export function contactFor(context: TurnContext, policy: Policy): string {
  return policy.helpdesk.contactText[turnLocale(context)];
}

/**
 * "Check my account" (menu, help, typed): the pre-check of both goals on the caller's own account, told precisely,
 * without starting a journey or sending a code.
 */
export class CheckAccountDialog extends ComponentDialog {
  constructor(private readonly deps: PrecheckStepDeps) {
    super(DIALOG_IDS.CHECK_ACCOUNT);
    this.addDialog(new WaterfallDialog(DIALOG_IDS.CHECK_ACCOUNT_STEPS, [this.checkStep.bind(this)]));
    this.initialDialogId = DIALOG_IDS.CHECK_ACCOUNT_STEPS;
  }

  private async checkStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { context } = step;
    const found = await this.deps.start.check({ user: callerOrThrow(this.deps.callerOf, context), correlationId: correlationOf(context) });
    await sendCard(
      context,
      buildAccountCheckCard({
        t: turnTranslator(context),
        reset: found.reset,
        unlock: found.unlock,
        locked: found.locked,
        required: found.requiredMethods,
        usable: found.usableMethods,
        ...(found.retryAt !== undefined ? { retryAt: formatTime(context, found.retryAt) } : {}),
        contact: contactFor(context, this.deps.policy),
        privileged: found.privileged,
        questionsEnabled: this.deps.policy.methods.enabled.includes('securityQuestions'),
      }),
    );
    return step.endDialog();
  }
}

export type { Translator };
