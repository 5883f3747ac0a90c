import { CardFactory, MessageFactory, type TurnContext } from 'botbuilder';
import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { AdaptiveCard } from '../cards/adaptiveCard';
import { buildAnswerReceivedCard } from '../cards/recovery/answerReceivedCard';
import { buildCodeEntryCard } from '../cards/recovery/codeEntryCard';
import { buildMethodChoiceCard } from '../cards/recovery/methodChoiceCard';
import { buildRecoveryCodeEntryCard } from '../cards/recovery/recoveryCodeEntryCard';
import { answerInputId, buildSecurityQuestionsCard } from '../cards/recovery/securityQuestionsCard';
import { buildTotpEntryCard } from '../cards/recovery/totpEntryCard';
import { VerifyVerb } from '../cards/verbs';
import type { Locale, Translator } from '../locales';
import type { UserRef } from '../domain/model/user';
import type { Policy } from '../domain/policy/policy';
import type { MethodChoice } from '../domain/recovery/recoveryDeps';
import type { RequestChallenge } from '../domain/recovery/requestChallenge';
import type { SubmitProof } from '../domain/recovery/submitProof';
import type { Challenge, ProofResponse } from '../domain/verification/methodProver';
import { SsprError } from '../domain/errors';
import { DIALOG_IDS } from './dialogIds';
import { isCodeFormat, normaliseCode } from '../domain/codes/codeFormat';
import { formatTime, turnLocale, turnTranslator } from './turnLocale';

/** The caller of this turn as the bot's gate resolved it (R2): never a typed name. */
export type CallerOf = (context: TurnContext) => { readonly user: UserRef } | undefined;

export interface VerifyIdentityDeps {
  readonly challenge: RequestChallenge;
  readonly prove: SubmitProof;
  readonly policy: Policy;
  readonly callerOf: CallerOf;
}

/** What the reset/unlock journeys pass in: the flow the doctor started and the methods it offers. */
export interface VerifyOptions {
  readonly flowId: string;
  readonly choices: readonly MethodChoice[];
  /** Methods the flow needs (1 or 2) and which one this is. */
  readonly total: number;
  readonly step: number;
  readonly notice?: string;
}

/** The PROVE waterfall's options: the flow, the chosen method and what the user was asked (no secret). */
interface ProveOptions extends VerifyOptions {
  readonly methodId: string;
  readonly challenge: Challenge;
}

/** What the journey gets back. */
export interface VerifyResult {
  readonly verified: boolean;
}

/**
 * Verify identity (shared by reset and unlock): choose a method → challenge → enter the code / TOTP / answers /
 * recovery code → the next method when the policy needs two → verified. The flow's state machine (domain) decides
 * every transition; this dialog presents it. Dialog state holds the flow id, method ids and masked destinations only.
 */
export class VerifyIdentityDialog extends ComponentDialog {
  constructor(private readonly deps: VerifyIdentityDeps) {
    super(DIALOG_IDS.VERIFY);
    this.addDialog(
      new WaterfallDialog(DIALOG_IDS.VERIFY_CHOOSE, [this.chooseMethodStep.bind(this), this.requestChallengeStep.bind(this)]),
    );
    this.addDialog(new WaterfallDialog(DIALOG_IDS.VERIFY_PROVE, [this.askProofStep.bind(this), this.checkProofStep.bind(this)]));
    this.initialDialogId = DIALOG_IDS.VERIFY_CHOOSE;
  }

  /** Shows the method choice card: one button per method, destinations masked. */
  private async chooseMethodStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const o = step.options as VerifyOptions;
    const t = turnTranslator(step.context);
    const options = o.choices.map((c) => ({ id: c.id, label: methodLabel(t, c) }));
    const view = { t, flowId: o.flowId, options, step: o.step, total: o.total };
    await sendCard(step.context, buildMethodChoiceCard(o.notice ? { ...view, intro: o.notice } : view));
    return WaterfallDialog.EndOfTurn;
  }

  /** Sends the code (or asks for TOTP / answers / a recovery code) for the chosen method; refusals in plain words. */
  private async requestChallengeStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const o = step.options as VerifyOptions;
    const t = turnTranslator(step.context);
    const verb = VerifyVerb.safeParse(step.context.activity.value);
    if (!verb.success || verb.data.verb !== 'verify.choose' || verb.data.flowId !== o.flowId) {
      return step.replaceDialog(DIALOG_IDS.VERIFY_CHOOSE, { ...o, notice: t('verify.invalid') });
    }
    const methodId = verb.data.methodId;
    const r = await this.deps.challenge.execute(this.challengeInput(step.context, o.flowId, methodId));
    if (r.ok) return step.replaceDialog(DIALOG_IDS.VERIFY_PROVE, { ...o, notice: undefined, methodId, challenge: r.value });
    return this.onChallengeRefused(step, o, r.reason, r.retryAt);
  }

  /** Shows the entry card for the challenge: code (with resend/other), TOTP, questions or recovery code. */
  private async askProofStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const o = step.options as ProveOptions;
    const t = turnTranslator(step.context);
    const id = await sendCard(step.context, this.entryCard(step.context, t, o));
    if (id) (step.values as { cardId?: string }).cardId = id;
    return WaterfallDialog.EndOfTurn;
  }

  /** Checks the answer: verified → back to the journey; second method → choose again; wrong → re-ask or blocked. */
  private async checkProofStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const o = step.options as ProveOptions;
    const { context } = step;
    const t = turnTranslator(context);
    // A code typed as a chat message is taken as if entered on the card (issue 11); the bot does not repeat it.
    const typed = typedCode(context.activity.text, context.activity.value, o);
    const parsed = VerifyVerb.safeParse(typed ?? context.activity.value);
    if (!parsed.success || parsed.data.flowId !== o.flowId) {
      return step.replaceDialog(DIALOG_IDS.VERIFY_PROVE, { ...o, notice: t(context.activity.value === undefined ? 'verify.typeOnCard' : 'verify.invalid') });
    }
    const verb = parsed.data;
    if (verb.verb === 'verify.other') {
      return step.replaceDialog(DIALOG_IDS.VERIFY_CHOOSE, { ...stripProve(o), notice: undefined });
    }
    if (verb.verb === 'verify.resend') {
      const r = await this.deps.challenge.execute(this.challengeInput(context, o.flowId, o.methodId));
      if (r.ok) return step.replaceDialog(DIALOG_IDS.VERIFY_PROVE, { ...o, challenge: r.value, notice: t('verify.sent') });
      if (r.reason === 'throttled') {
        // The code card stays: the code already sent still works, and the user is told when a new one can go out.
        const time = formatTime(context, r.retryAt ?? Date.now() + 60_000);
        return step.replaceDialog(DIALOG_IDS.VERIFY_PROVE, { ...o, notice: t('verify.resendLater', { time }) });
      }
      return this.onChallengeRefused(step, stripProve(o), r.reason, r.retryAt);
    }
    await replaceSubmittedCard(context, (step.values as { cardId?: string }).cardId, buildAnswerReceivedCard(t));
    const response = proofResponse(verb, o.challenge);
    if (response === 'format') return step.replaceDialog(DIALOG_IDS.VERIFY_PROVE, { ...o, notice: t('verify.codeFormat') });
    if (response === null) return step.replaceDialog(DIALOG_IDS.VERIFY_PROVE, { ...o, notice: t('verify.invalid') });

    const caller = this.caller(context);
    const r = await this.deps.prove.execute({
      user: caller,
      conversationId: context.activity.conversation.id,
      flowId: o.flowId,
      response,
      locale: turnLocale(context),
      correlationId: correlationOf(context),
    });
    if (r.ok) {
      if (r.value.status === 'verified') {
        await context.sendActivity(t('verify.done'));
        return step.endDialog({ verified: true } satisfies VerifyResult);
      }
      const next: VerifyOptions = { flowId: o.flowId, choices: r.value.choices, total: o.total, step: o.step + 1, notice: t('verify.nextMethod') };
      return step.replaceDialog(DIALOG_IDS.VERIFY_CHOOSE, next);
    }
    switch (r.reason) {
      case 'wrong':
        return step.replaceDialog(DIALOG_IDS.VERIFY_PROVE, { ...o, notice: t('recovery.wrongAnswer') });
      case 'code_expired':
      case 'too_many_tries':
      case 'no_code':
        return step.replaceDialog(DIALOG_IDS.VERIFY_CHOOSE, { ...stripProve(o), notice: t('recovery.codeExpired') });
      case 'blocked':
        await context.sendActivity(this.blockedText(context, r.retryAt));
        return step.endDialog({ verified: false } satisfies VerifyResult);
      case 'no_methods_left':
        await context.sendActivity(t('verify.noMethodsLeft', { contact: this.contact(context) }));
        return step.endDialog({ verified: false } satisfies VerifyResult);
      case 'expired':
      case 'no_flow':
      case 'invalid_state':
        await context.sendActivity(t('recovery.flowExpired'));
        return step.endDialog({ verified: false } satisfies VerifyResult);
    }
  }

  private async onChallengeRefused(
    step: WaterfallStepContext,
    o: VerifyOptions,
    reason: string,
    retryAt: number | undefined,
  ): Promise<DialogTurnResult> {
    const { context } = step;
    const t = turnTranslator(context);
    switch (reason) {
      case 'blocked':
        await context.sendActivity(this.blockedText(context, retryAt));
        return step.endDialog({ verified: false } satisfies VerifyResult);
      case 'throttled':
        return step.replaceDialog(DIALOG_IDS.VERIFY_CHOOSE, {
          ...o,
          notice: t('verify.throttled', { time: formatTime(context, retryAt ?? Date.now() + 60_000) }),
        });
      case 'method_not_allowed':
        return step.replaceDialog(DIALOG_IDS.VERIFY_CHOOSE, { ...o, notice: t('verify.invalid') });
      case 'destination_refused':
      case 'send_failed':
      case 'method_unavailable':
        return step.replaceDialog(DIALOG_IDS.VERIFY_CHOOSE, { ...o, notice: t('verify.sendFailed') });
      default:
        await context.sendActivity(t('recovery.flowExpired'));
        return step.endDialog({ verified: false } satisfies VerifyResult);
    }
  }

  private entryCard(context: TurnContext, t: Translator, o: ProveOptions): AdaptiveCard {
    // "Use another method" only when there is another one to use.
    const notice = { ...(o.notice ? { notice: o.notice } : {}), hasOther: o.choices.length > 1 };
    const c = o.challenge;
    switch (c.kind) {
      case 'code_sent':
        return buildCodeEntryCard({
          t,
          flowId: o.flowId,
          maskedDestination: c.maskedDestination,
          validUntil: formatTime(context, c.expiresAt),
          ...(c.channel ? { channel: c.channel } : {}),
          ...notice,
        });
      case 'enter_totp':
        return buildTotpEntryCard({ t, flowId: o.flowId, ...notice });
      case 'enter_recovery_code':
        return buildRecoveryCodeEntryCard({ t, flowId: o.flowId, ...notice });
      case 'answer_questions':
        return buildSecurityQuestionsCard({
          t,
          flowId: o.flowId,
          questions: c.questionIds.map((id) => ({ id, text: questionText(this.deps.policy, turnLocale(context), t, id) })),
          ...notice,
        });
    }
  }

  private challengeInput(context: TurnContext, flowId: string, methodId: string): Parameters<RequestChallenge['execute']>[0] {
    return {
      user: this.caller(context),
      conversationId: context.activity.conversation.id,
      flowId,
      methodId,
      locale: turnLocale(context),
      correlationId: correlationOf(context),
    };
  }

  private caller(context: TurnContext): UserRef {
    return callerOrThrow(this.deps.callerOf, context);
  }

  private contact(context: TurnContext): string {
    return this.deps.policy.helpdesk.contactText[turnLocale(context)];
  }

  private blockedText(context: TurnContext, retryAt: number | undefined): string {
    const t = turnTranslator(context);
    const until = retryAt ?? Date.now() + this.deps.policy.throttles.blockHours * 3_600_000;
    return t('recovery.blocked', { time: formatTime(context, until), contact: this.contact(context) });
  }
}

/** A 6-digit code (spaces or a dash allowed) typed as chat text while a code or TOTP card is open, as that card's verb. */
function typedCode(text: string | undefined, value: unknown, o: ProveOptions): Record<string, unknown> | undefined {
  if (value !== undefined || !text || !/^\s*\d{3}[\s-]?\d{3}\s*$/.test(text)) return undefined;
  if (o.challenge.kind === 'code_sent') return { verb: 'verify.code', flowId: o.flowId, code: text.trim() };
  if (o.challenge.kind === 'enter_totp') return { verb: 'verify.totp', flowId: o.flowId, code: text.trim() };
  return undefined;
}

function stripProve(o: ProveOptions): VerifyOptions {
  return { flowId: o.flowId, choices: o.choices, total: o.total, step: o.step };
}

/** The typed answer as the prover wants it; 'format' when a code is not 6 digits (no attempt is spent on it). */
function proofResponse(verb: VerifyVerb, challenge: Challenge): ProofResponse | 'format' | null {
  const digits = (s: string | undefined): string => {
    return isCodeFormat(s ?? '') ? normaliseCode(s ?? '') : 'format';
  };
  switch (verb.verb) {
    case 'verify.code': {
      if (challenge.kind !== 'code_sent') return null;
      const code = digits(verb.code);
      return code === 'format' ? code : { kind: 'code', code };
    }
    case 'verify.totp': {
      if (challenge.kind !== 'enter_totp') return null;
      const code = digits(verb.code);
      return code === 'format' ? code : { kind: 'totp', code };
    }
    case 'verify.recoveryCode': {
      if (challenge.kind !== 'enter_recovery_code') return null;
      const code = (verb.code ?? '').trim();
      return code ? { kind: 'recoveryCode', code } : 'format';
    }
    case 'verify.answers': {
      if (challenge.kind !== 'answer_questions') return null;
      const answers: Record<string, string> = {};
      for (const q of challenge.questionIds) {
        const v = verb[answerInputId(q)];
        if (typeof v !== 'string') return 'format';
        answers[q] = v;
      }
      return { kind: 'answers', answers };
    }
    default:
      return null;
  }
}

/** The label of one method choice: kind + channel, destination masked. */
export function methodLabel(t: Translator, c: MethodChoice): string {
  const channel = /~(sms|voice|email)$/.exec(c.id)?.[1];
  const dest = c.maskedDestination ?? '';
  if (c.kind === 'mobilePhone' || c.kind === 'officePhone') return t(channel === 'sms' ? 'verify.method.sms' : 'verify.method.voice', { dest });
  if (c.kind === 'email') return t('verify.method.email', { dest });
  return t(`verify.method.${c.kind}`);
}

function questionText(policy: Policy, locale: Locale, t: Translator, id: string): string {
  if (id.startsWith('custom.')) {
    const q = policy.securityQuestions.custom.find((c) => `custom.${c.id}` === id);
    if (q) return q[locale];
  }
  return t(`questions.${id}`);
}

/** A card as a message activity. */
/**
 * Replaces the card the user just submitted (Teams names it in replyToId; otherwise the id kept when it was sent) with
 * `card`, so typed values — codes, answers, passwords — do not stay in the chat. Best effort: a channel without
 * updates must not fail the journey.
 */
export async function replaceSubmittedCard(context: TurnContext, storedId: string | undefined, card: AdaptiveCard): Promise<void> {
  const id = context.activity.replyToId ?? storedId;
  if (!id) return;
  try {
    await context.updateActivity({ id, type: 'message', conversation: context.activity.conversation, attachments: [CardFactory.adaptiveCard(card)] });
  } catch {
    /* see above */
  }
}

export async function sendCard(context: TurnContext, card: AdaptiveCard): Promise<string | undefined> {
  const sent = await context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(card)));
  return sent?.id || undefined;
}

export { formatTime };

/** A correlation id for audit events of this turn (the activity id; never user text). */
export function correlationOf(context: TurnContext): string {
  return (context.activity.id ?? '').slice(0, 64) || 'no-activity-id';
}

export function callerOrThrow(callerOf: CallerOf, context: TurnContext): UserRef {
  const caller = callerOf(context);
  // The gate (bot/teamsBot.ts) resolves the caller before any dialog runs; no caller here is a wiring bug.
  if (!caller) throw new SsprError('internal', 'no caller resolved for this turn');
  return caller.user;
}
