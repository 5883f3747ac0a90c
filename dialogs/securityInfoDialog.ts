import { ActivityTypes, CardFactory, MessageFactory, type TurnContext } from 'botbuilder';
import { ComponentDialog, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';
import type { AdaptiveCard } from '../cards/adaptiveCard';
import { buildBootstrapCard } from '../cards/securityInfo/bootstrapCard';
import { buildChooseKindCard } from '../cards/securityInfo/chooseKindCard';
import { buildCodeEntryCard } from '../cards/securityInfo/codeEntryCard';
import { buildDestinationCard } from '../cards/securityInfo/destinationCard';
import { buildOverviewCard } from '../cards/securityInfo/overviewCard';
import { buildProofChoiceCard } from '../cards/securityInfo/proofChoiceCard';
import { buildQuestionsCard } from '../cards/securityInfo/questionsCard';
import { buildRecoveryCodesCard } from '../cards/securityInfo/recoveryCodesCard';
import { buildRemoveConfirmCard } from '../cards/securityInfo/removeConfirmCard';
import { buildSecretClearedCard } from '../cards/securityInfo/secretClearedCard';
import { buildSecretPageCard } from '../cards/securityInfo/secretPageCard';
import { buildTotpEnrolmentCard } from '../cards/securityInfo/totpEnrolmentCard';
import { methodName } from '../cards/securityInfo/view';
import { SecurityInfoVerb } from '../cards/verbs';
import { t as translate, type Translator } from '../locales';
import { availableQuestionIds } from '../domain/methods/securityQuestions';
import type { MethodKind } from '../domain/model/methods';
import type { UserRef } from '../domain/model/user';
import { SsprError } from '../domain/errors';
import type { SecurityInfoUseCases } from '../domain/securityInfo';
import { pickerCountries } from '../domain/securityInfo/phoneInput';
import { randomId, type ChangeContext } from '../domain/securityInfo/securityInfoDeps';
import { responseFor } from '../domain/securityInfo/stepUpProof';
import { DIALOG_IDS } from './dialogIds';
import { formatTime, turnLocale, turnTranslator } from './turnLocale';

/** The caller of this turn as the gate resolved it (bot/teamsBot.ts). */
export interface SecurityInfoCaller {
  readonly user: UserRef;
  readonly name: string;
  readonly firstName: string;
  readonly upn?: string;
}

/** What the dialog page may show once (R35): a pending authenticator's QR code and key, or new recovery codes. */
export type PageSecret = { readonly purpose: 'authenticator'; readonly methodId: string } | { readonly purpose: 'recoveryCodes' };

/**
 * R35: the dialog page (a Teams dialog) that shows the authenticator's QR code and key, or recovery codes, behind a
 * single-use ticket bound to the user. Where the client cannot open dialogs, the chat card is the fallback.
 */
export interface SecretPages {
  /** A single-use, expiring ticket for this user's secret. */
  issue(user: UserRef, secret: PageSecret): Promise<string>;
  /** Whether this turn's client opens dialogs (task modules). */
  opensDialogs(context: TurnContext): boolean;
}

export interface SecurityInfoDialogDeps {
  readonly useCases: SecurityInfoUseCases;
  readonly callerOf: (context: TurnContext) => SecurityInfoCaller | undefined;
  /** Without it (or where dialogs do not open), the secret is shown in a chat card that is replaced right after. */
  readonly secretPages?: SecretPages;
}

type Stage =
  | 'overview'
  | 'chooseKind'
  | 'proveChoose'
  | 'proveEnter'
  | 'destination'
  | 'bootstrap'
  | 'code'
  | 'reconfirm'
  | 'totp'
  | 'questions'
  | 'recoveryCodes'
  | 'removeConfirm';

type Intent =
  | { readonly action: 'add'; readonly kind: MethodKind; readonly replaces?: string }
  | { readonly action: 'remove'; readonly methodId: string };

/**
 * Dialog state: references only (architecture rule 5) — flow id, stage, method ids and the id of a card to replace.
 * Never a destination, code, answer or secret, and never whether the user stepped up: that is the StepUpStore's,
 * bound to the user (R31), so nothing a conversation holds can claim it.
 */
interface FlowState {
  flowId: string;
  stage: Stage;
  intent?: Intent;
  /** After a bootstrap code round trip, carry on with the intent. */
  resume?: boolean;
  methodId?: string;
  replaces?: string;
  proofChoice?: string;
  proofKind?: MethodKind;
  secretCardId?: string;
}

const STATE = 'securityInfo';
const CODE_KINDS = new Set<MethodKind>(['mobilePhone', 'officePhone', 'email']);

/** A use-case refusal that means "step up first" (R31: a proof, a second proof of another kind, or the bootstrap). */
function isProofAsk(reason: string): boolean {
  return reason === 'proof_required' || reason === 'second_proof_required' || reason === 'bootstrap_required';
}

/**
 * The *Security info* journey (issue 3 item 6): list methods, add (choose → R19 proof → destination → code → saved;
 * authenticator with QR; security questions; recovery codes), change, remove (with an R4 warning) and re-confirm.
 * It is a small state machine over card submits: each stage accepts only its own verbs with this flow's id; anything
 * else gets a polite re-ask and the flow stays where it was. Each step calls one use-case and shows one card.
 */
export class SecurityInfoDialog extends ComponentDialog {
  constructor(private readonly deps: SecurityInfoDialogDeps) {
    super(DIALOG_IDS.SECURITY_INFO);
  }

  override async beginDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const state: FlowState = { flowId: randomId(this.deps.useCases.deps.random, 16), stage: 'overview' };
    this.save(dc, state);
    await this.showOverviewStep(dc, state);
    return ComponentDialog.EndOfTurn;
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const { context } = dc;
    const state = this.load(dc);
    const t = turnTranslator(context);
    if (context.activity.type !== (ActivityTypes.Message as string)) return ComponentDialog.EndOfTurn;
    if (context.activity.value === undefined || context.activity.value === null) {
      await context.sendActivity(t('securityInfo.useCard'));
      return ComponentDialog.EndOfTurn;
    }
    const parsed = SecurityInfoVerb.safeParse(context.activity.value);
    if (!parsed.success) {
      await context.sendActivity(t('securityInfo.invalid'));
      return ComponentDialog.EndOfTurn;
    }
    const v = parsed.data;
    if (v.flowId !== state.flowId) {
      await context.sendActivity(t('securityInfo.stale'));
      return ComponentDialog.EndOfTurn;
    }
    if (v.verb === 'si.done') {
      await this.clearSecretCard(context, state);
      this.save(dc, undefined);
      await context.sendActivity(t('securityInfo.bye'));
      return dc.endDialog();
    }
    if (v.verb === 'si.back') {
      await this.clearSecretCard(context, state);
      await this.showOverviewStep(dc, state);
      return ComponentDialog.EndOfTurn;
    }
    const handled = await this.dispatch(dc, state, v);
    if (!handled) await context.sendActivity(t('securityInfo.stale'));
    this.save(dc, state);
    return ComponentDialog.EndOfTurn;
  }

  private async dispatch(dc: DialogContext, s: FlowState, v: SecurityInfoVerb): Promise<boolean> {
    switch (s.stage) {
      case 'overview':
        if (v.verb === 'si.add') {
          await this.chooseKindStep(dc, s);
          return true;
        }
        if (v.verb === 'si.change') {
          await this.changeStep(dc, s, v.methodId);
          return true;
        }
        if (v.verb === 'si.remove') {
          await this.removePreviewStep(dc, s, v.methodId);
          return true;
        }
        if (v.verb === 'si.reconfirm') {
          await this.reconfirmStep(dc, s, v.methodId);
          return true;
        }
        return false;
      case 'chooseKind':
        if (v.verb !== 'si.kind') return false;
        await this.startIntent(dc, s, { action: 'add', kind: v.kind });
        return true;
      case 'proveChoose':
        if (v.verb !== 'si.proveWith') return false;
        await this.challengeStep(dc, s, v.choice);
        return true;
      case 'proveEnter':
        if (v.verb !== 'si.proof') return false;
        await this.proveStep(dc, s, v.code);
        return true;
      case 'bootstrap':
        if (v.verb !== 'si.bootstrapWith') return false;
        await this.bootstrapCodeStep(dc, s, v.methodId);
        return true;
      case 'reconfirm':
        if (v.verb !== 'si.code' && v.verb !== 'si.totp') return false;
        await this.checkReconfirmStep(dc, s, v.code);
        return true;
      case 'destination':
        if (v.verb !== 'si.destination') return false;
        await this.sendCodeStep(dc, s, v.destination, v.country);
        return true;
      case 'code':
        if (v.verb !== 'si.code') return false;
        await this.checkCodeStep(dc, s, v.code);
        return true;
      case 'totp':
        if (v.verb !== 'si.totp') return false;
        await this.checkTotpStep(dc, s, v.code);
        return true;
      case 'questions':
        if (v.verb !== 'si.questions') return false;
        await this.saveQuestionsStep(dc, s, v);
        return true;
      case 'recoveryCodes':
        if (v.verb !== 'si.codesSaved') return false;
        await this.clearSecretCard(dc.context, s);
        await this.showOverviewStep(dc, s, turnTranslator(dc.context)('securityInfo.saved'));
        return true;
      case 'removeConfirm':
        if (v.verb !== 'si.removeConfirm' || v.methodId !== s.methodId) return false;
        await this.startIntent(dc, s, { action: 'remove', methodId: v.methodId });
        return true;
    }
  }

  // ---------- steps ----------

  /** Shows the list of methods (masked), their status, and add / change / remove / re-confirm buttons. */
  private async showOverviewStep(dc: DialogContext, s: FlowState, intro?: string): Promise<void> {
    const t = turnTranslator(dc.context);
    const o = await this.deps.useCases.list.run(this.caller(dc.context).user);
    Object.assign(s, { stage: 'overview', intent: undefined, resume: undefined, methodId: undefined, replaces: undefined, proofChoice: undefined, proofKind: undefined });
    const held = o.heldUntil === null ? undefined : t('securityInfo.held', { time: formatTime(dc.context, o.heldUntil) });
    const text = [intro, held].filter(Boolean).join('\n\n');
    await this.sendCard(dc.context, buildOverviewCard({ t, flowId: s.flowId, methods: o.methods, canAdd: o.addable.length > 0, enoughForReset: o.enoughForReset, required: o.required, ...(text ? { intro: text } : {}) }));
  }

  /** Shows the kinds the user can still add. */
  private async chooseKindStep(dc: DialogContext, s: FlowState): Promise<void> {
    const t = turnTranslator(dc.context);
    const o = await this.deps.useCases.list.run(this.caller(dc.context).user);
    s.stage = 'chooseKind';
    await this.sendCard(dc.context, buildChooseKindCard({ t, flowId: s.flowId, kinds: o.addable }));
  }

  /**
   * Change = add a new method of the same kind that replaces this one once confirmed. A registration still waiting
   * for its code is started again instead (a plain add: the new attempt drops it, and it is "added", not "changed").
   */
  private async changeStep(dc: DialogContext, s: FlowState, methodId: string): Promise<void> {
    const o = await this.deps.useCases.list.run(this.caller(dc.context).user);
    const m = o.methods.find((x) => x.id === methodId);
    if (!m) return this.showOverviewStep(dc, s, turnTranslator(dc.context)('securityInfo.gone'));
    await this.startIntent(dc, s, m.status === 'pending' ? { action: 'add', kind: m.kind } : { action: 'add', kind: m.kind, replaces: m.id });
  }

  /** Shows "remove X?" with a warning when a reset would no longer be possible (R4). */
  private async removePreviewStep(dc: DialogContext, s: FlowState, methodId: string): Promise<void> {
    const t = turnTranslator(dc.context);
    const r = await this.deps.useCases.remove.preview(this.ctx(dc.context, s), methodId);
    if (!r.ok) return this.showOverviewStep(dc, s, t('securityInfo.gone'));
    s.stage = 'removeConfirm';
    s.methodId = methodId;
    await this.sendCard(dc.context, buildRemoveConfirmCard({ t, flowId: s.flowId, methodId, kind: r.value.kind, breaksReset: r.value.breaksReset, ...(r.value.maskedDestination ? { maskedDestination: r.value.maskedDestination } : {}) }));
  }

  /**
   * Re-confirm: a confirmed method proves itself (code or authenticator code, through the step-up, R31/R34); a
   * pre-filled directory contact gets a registration code (the R31 bootstrap when the account has no method yet).
   */
  private async reconfirmStep(dc: DialogContext, s: FlowState, methodId: string): Promise<void> {
    const t = turnTranslator(dc.context);
    const o = await this.deps.useCases.list.run(this.caller(dc.context).user);
    const m = o.methods.find((x) => x.id === methodId);
    if (!m) return this.showOverviewStep(dc, s, t('securityInfo.gone'));
    if (m.status === 'fromDirectory') return this.bootstrapCodeStep(dc, s, methodId);
    if (m.status === 'pending' || !(CODE_KINDS.has(m.kind) || m.kind === 'authenticatorApp')) return this.showOverviewStep(dc, s, t('securityInfo.reconfirm.notNeeded'));
    const r = await this.deps.useCases.reconfirm.start(this.ctx(dc.context, s), methodId);
    if (!r.ok) {
      await dc.context.sendActivity(r.reason === 'blocked' ? t('securityInfo.blocked') : this.sendRefusalText(dc.context, r.reason, r.retryAt));
      return;
    }
    s.stage = 'reconfirm';
    s.methodId = methodId;
    if (r.value.kind === 'code_sent') return this.sendCodeCard(dc.context, s, m.kind, r.value.maskedDestination);
    await this.sendCard(dc.context, buildCodeEntryCard({ t, flowId: s.flowId, verb: 'si.code', title: t('securityInfo.reconfirm.title'), prompt: t('securityInfo.reconfirm.totp'), label: t('securityInfo.totp.codeLabel') }));
  }

  /** Checks the re-confirmation code; the method is confirmed again and this is the user's step-up (R31). */
  private async checkReconfirmStep(dc: DialogContext, s: FlowState, code: string): Promise<void> {
    const t = turnTranslator(dc.context);
    if (!s.methodId) return this.showOverviewStep(dc, s);
    const r = await this.deps.useCases.reconfirm.check(this.ctx(dc.context, s), s.methodId, code);
    if (!r.ok) {
      if (r.reason === 'blocked') {
        await dc.context.sendActivity(t('securityInfo.blocked'));
        return this.showOverviewStep(dc, s);
      }
      await dc.context.sendActivity(t(`securityInfo.codeRefused.${r.reason}`));
      if (r.reason !== 'wrong' && r.reason !== 'malformed') await this.showOverviewStep(dc, s);
      return;
    }
    await this.showOverviewStep(dc, s, t('securityInfo.saved'));
  }

  /**
   * R31 bootstrap for an account without methods, as the policy says: a code to a contact the organisation holds,
   * a session-only start (methods on hold, mailbox and chat told), or the helpdesk.
   */
  private async bootstrapStep(dc: DialogContext, s: FlowState): Promise<void> {
    const t = turnTranslator(dc.context);
    const ctx = this.ctx(dc.context, s);
    const uc = this.deps.useCases;
    const option = await uc.bootstrap.options(ctx);
    switch (option.kind) {
      case 'not_needed':
        return this.proceed(dc, s);
      case 'directory':
        s.stage = 'bootstrap';
        await this.sendCard(dc.context, buildBootstrapCard({ t, flowId: s.flowId, choices: option.choices }));
        return;
      case 'session': {
        const r = await uc.bootstrap.startSessionOnly(ctx);
        if (!r.ok) return this.showOverviewStep(dc, s, t('securityInfo.bootstrap.helpdesk', { contact: this.contactText(dc.context) }));
        await dc.context.sendActivity(t('securityInfo.bootstrap.session', { time: formatTime(dc.context, r.value.usableFrom) }));
        return this.proceed(dc, s);
      }
      case 'helpdesk':
        return this.showOverviewStep(dc, s, t('securityInfo.bootstrap.helpdesk', { contact: this.contactText(dc.context) }));
    }
  }

  /** Sends the registration code to a pre-filled directory contact; confirming it carries on with the intent. */
  private async bootstrapCodeStep(dc: DialogContext, s: FlowState, methodId: string): Promise<void> {
    const t = turnTranslator(dc.context);
    const r = await this.deps.useCases.confirmDirectoryContact.start(this.ctx(dc.context, s), methodId);
    if (!r.ok) {
      if (r.reason === 'proof_required' || r.reason === 'second_proof_required') return this.startIntent(dc, s, { action: 'add', kind: 'email' }, true);
      if (r.reason === 'helpdesk_required') return this.showOverviewStep(dc, s, t('securityInfo.bootstrap.helpdesk', { contact: this.contactText(dc.context) }));
      await dc.context.sendActivity(this.sendRefusalText(dc.context, r.reason, r.retryAt));
      return;
    }
    s.resume = s.stage === 'bootstrap' && s.intent !== undefined;
    s.stage = 'code';
    s.methodId = methodId;
    s.replaces = undefined;
    await this.sendCodeCard(dc.context, s, r.value.kind, r.value.maskedDestination);
  }

  /** R31: asks for a proof (or a second one, or the bootstrap) first when needed, else goes straight to the action. */
  private async startIntent(dc: DialogContext, s: FlowState, intent: Intent, proofOnly = false): Promise<void> {
    if (!proofOnly) s.intent = intent;
    const ctx = this.ctx(dc.context, s);
    // A method that never became active can be removed without a proof (the use-case decides).
    if (intent.action === 'remove' && !proofOnly) return this.proceed(dc, s);
    const needed = await this.deps.useCases.stepUp.needed(ctx);
    if (needed === 'none') return this.proceed(dc, s);
    if (needed === 'bootstrap_required') return this.bootstrapStep(dc, s);
    const t = turnTranslator(dc.context);
    const choices = await this.deps.useCases.stepUp.choices(ctx);
    if (choices.length === 0) return this.showOverviewStep(dc, s, t('securityInfo.bootstrap.helpdesk', { contact: this.contactText(dc.context) }));
    s.stage = 'proveChoose';
    // R31 + R4: one proof is there, but the user's methods ask for a second one of another kind.
    await this.sendCard(dc.context, buildProofChoiceCard({ t, flowId: s.flowId, choices, second: needed === 'second_proof_required' }));
  }

  /** Sends the proof code (or asks for the authenticator / recovery code) for the chosen method. */
  private async challengeStep(dc: DialogContext, s: FlowState, choice: string): Promise<void> {
    const t = turnTranslator(dc.context);
    const ctx = this.ctx(dc.context, s);
    const method = (await this.deps.useCases.stepUp.choices(ctx)).find((m) => m.id === choice);
    const r = await this.deps.useCases.stepUp.challenge(ctx, choice);
    if (!r.ok || !method) {
      const reason = r.ok ? 'unknown_method' : r.reason;
      await dc.context.sendActivity(reason === 'blocked' ? t('securityInfo.blocked') : this.sendRefusalText(dc.context, reason, r.ok ? undefined : r.retryAt));
      return;
    }
    s.stage = 'proveEnter';
    s.proofChoice = choice;
    s.proofKind = method.kind;
    const c = r.value;
    const prompt =
      c.kind === 'code_sent'
        ? t(c.channel === 'voice' ? 'securityInfo.proof.called' : 'securityInfo.proof.codeSent', { dest: c.maskedDestination })
        : c.kind === 'enter_totp'
          ? t('securityInfo.proof.totp')
          : t('securityInfo.proof.recoveryCode');
    await this.sendCard(dc.context, buildCodeEntryCard({ t, flowId: s.flowId, verb: 'si.proof', title: t('securityInfo.proof.title'), prompt, label: t('securityInfo.code.label') }));
  }

  /** Checks the proof; on success continues with what the user asked for. */
  private async proveStep(dc: DialogContext, s: FlowState, code: string): Promise<void> {
    const t = turnTranslator(dc.context);
    if (!s.proofChoice || !s.proofKind) return this.showOverviewStep(dc, s);
    const r = await this.deps.useCases.stepUp.prove(this.ctx(dc.context, s), s.proofChoice, responseFor(s.proofKind, code));
    if (!r.ok) {
      if (r.reason === 'blocked') {
        await dc.context.sendActivity(t('securityInfo.blocked'));
        return this.showOverviewStep(dc, s);
      }
      await dc.context.sendActivity(t(`securityInfo.codeRefused.${r.reason === 'wrong' ? 'invalid' : r.reason}`));
      return;
    }
    // R31 + R4: one proof may not be enough; then the second is asked for before anything else.
    if ((await this.deps.useCases.stepUp.needed(this.ctx(dc.context, s))) === 'second_proof_required') return this.startIntent(dc, s, s.intent ?? { action: 'add', kind: 'email' }, true);
    await this.proceed(dc, s);
  }

  /** Runs the intent once the proof (if any) is done: asks for the destination, or starts the enrolment. */
  private async proceed(dc: DialogContext, s: FlowState): Promise<void> {
    const t = turnTranslator(dc.context);
    const intent = s.intent;
    const ctx = this.ctx(dc.context, s);
    const uc = this.deps.useCases;
    if (!intent) return this.showOverviewStep(dc, s);
    if (intent.action === 'remove') {
      const r = await uc.remove.run(ctx, intent.methodId);
      if (r.ok) return this.showOverviewStep(dc, s, t('securityInfo.removed'));
      if (isProofAsk(r.reason)) return this.startIntent(dc, s, intent, true);
      return this.showOverviewStep(dc, s, t('securityInfo.gone'));
    }
    s.replaces = intent.replaces;
    switch (intent.kind) {
      case 'mobilePhone':
      case 'officePhone':
      case 'email':
        s.stage = 'destination';
        await this.sendCard(dc.context, this.destinationCard(dc.context, s, intent.kind));
        return;
      case 'authenticatorApp': {
        const caller = this.caller(dc.context);
        const pages = this.deps.secretPages;
        if (pages && pages.opensDialogs(dc.context)) {
          // R35: the QR code and key only in the dialog page; its ticket is issued with the pending method's save.
          const r = await uc.enrolAuthenticator.forPage(ctx, (methodId) => pages.issue(caller.user, { purpose: 'authenticator', methodId }));
          if (!r.ok && r.reason !== 'kind_not_enabled') return this.startIntent(dc, s, intent, true);
          if (!r.ok) return this.showOverviewStep(dc, s, t(`securityInfo.refused.${r.reason}`));
          s.stage = 'totp';
          s.methodId = r.value.methodId;
          await this.sendSecretPageCard(dc.context, s, 'authenticator', r.value.ticket);
          return;
        }
        const r = await uc.enrolAuthenticator.run(ctx, caller.upn ?? caller.name);
        if (!r.ok && r.reason !== 'kind_not_enabled') return this.startIntent(dc, s, intent, true);
        if (!r.ok) return this.showOverviewStep(dc, s, t(`securityInfo.refused.${r.reason}`));
        s.stage = 'totp';
        s.methodId = r.value.methodId;
        s.secretCardId = await this.sendCard(dc.context, buildTotpEnrolmentCard({ t, flowId: s.flowId, qrDataUri: r.value.qrDataUri, keyText: r.value.keyText }));
        return;
      }
      case 'securityQuestions':
        s.stage = 'questions';
        s.secretCardId = await this.sendCard(dc.context, this.questionsCard(dc.context, s));
        return;
      case 'recoveryCodes': {
        if (this.pagesOpen(dc.context)) {
          // The page makes the codes (CreateRecoveryCodes, with its own step-up check) when it shows them.
          if ((await uc.stepUp.needed(ctx)) !== 'none') return this.startIntent(dc, s, intent, true);
          s.stage = 'recoveryCodes';
          await this.openSecretPage(dc.context, s, { purpose: 'recoveryCodes' });
          return;
        }
        const r = await uc.createRecoveryCodes.run(ctx);
        if (!r.ok && r.reason !== 'kind_not_enabled') return this.startIntent(dc, s, intent, true);
        if (!r.ok) return this.showOverviewStep(dc, s, t(`securityInfo.refused.${r.reason}`));
        s.stage = 'recoveryCodes';
        s.methodId = r.value.methodId;
        s.secretCardId = await this.sendCard(dc.context, buildRecoveryCodesCard({ t, flowId: s.flowId, codes: r.value.codes }));
        return;
      }
    }
  }

  /** Checks the number or address (R30) and sends the registration code; a refusal re-shows the entry card. */
  private async sendCodeStep(dc: DialogContext, s: FlowState, destination: string, country: string | undefined): Promise<void> {
    const t = turnTranslator(dc.context);
    const intent = s.intent;
    if (!intent || intent.action !== 'add' || !isCodeKindName(intent.kind)) return this.showOverviewStep(dc, s);
    const kind = intent.kind;
    const r = await this.deps.useCases.beginAdd.run(this.ctx(dc.context, s), {
      kind,
      destination,
      ...(country ? { country } : {}),
      ...(intent.replaces ? { replaces: intent.replaces } : {}),
    });
    if (!r.ok) {
      if (isProofAsk(r.reason)) return this.startIntent(dc, s, intent);
      const msg = ['invalid', 'country_not_allowed', 'premium_rate', 'work_address'].includes(r.reason)
        ? t(`securityInfo.destination.${r.reason}.${kind === 'email' ? 'email' : 'phone'}`)
        : this.sendRefusalText(dc.context, r.reason, r.retryAt);
      await this.sendCard(dc.context, this.destinationCard(dc.context, s, kind, msg));
      return;
    }
    s.stage = 'code';
    s.methodId = r.value.methodId;
    await this.sendCodeCard(dc.context, s, intent.kind, r.value.maskedDestination);
  }

  /** Checks the registration code: the method becomes active and the user is notified (R18). */
  private async checkCodeStep(dc: DialogContext, s: FlowState, code: string): Promise<void> {
    const t = turnTranslator(dc.context);
    if (!s.methodId) return this.showOverviewStep(dc, s);
    const r = await this.deps.useCases.confirm.run(this.ctx(dc.context, s), s.methodId, code, s.replaces);
    if (!r.ok) {
      if (isProofAsk(r.reason) && s.intent) return this.startIntent(dc, s, s.intent);
      await dc.context.sendActivity(t(`securityInfo.codeRefused.${r.reason}`));
      if (r.reason === 'no_pending' || r.reason === 'too_many_tries' || r.reason === 'expired' || r.reason === 'no_code') await this.showOverviewStep(dc, s);
      return;
    }
    // A bootstrap code round trip (a contact the organisation holds) carries on with what the user asked for.
    if (s.resume && s.intent) {
      s.resume = undefined;
      return this.proceed(dc, s);
    }
    await this.showOverviewStep(dc, s, t('securityInfo.saved'));
  }

  /** Checks the authenticator code; the QR card is replaced by one without the secret (R12). */
  private async checkTotpStep(dc: DialogContext, s: FlowState, code: string): Promise<void> {
    const t = turnTranslator(dc.context);
    if (!s.methodId) return this.showOverviewStep(dc, s);
    const r = await this.deps.useCases.confirmAuthenticator.run(this.ctx(dc.context, s), s.methodId, code);
    if (!r.ok) {
      if (isProofAsk(r.reason)) {
        await this.clearSecretCard(dc.context, s);
        return this.startIntent(dc, s, s.intent ?? { action: 'add', kind: 'authenticatorApp' });
      }
      await dc.context.sendActivity(t(`securityInfo.totpRefused.${r.reason}`));
      return;
    }
    await this.clearSecretCard(dc.context, s);
    await this.showOverviewStep(dc, s, t('securityInfo.saved'));
  }

  /** Saves the questions and answers (R13); the card with the typed answers is replaced either way. */
  private async saveQuestionsStep(dc: DialogContext, s: FlowState, v: Extract<SecurityInfoVerb, { verb: 'si.questions' }>): Promise<void> {
    const t = turnTranslator(dc.context);
    const policy = this.deps.useCases.deps.policy;
    const n = policy.securityQuestions.register;
    const pairs = [
      [v.q1, v.a1],
      [v.q2, v.a2],
      [v.q3, v.a3],
      [v.q4, v.a4],
      [v.q5, v.a5],
    ]
      .slice(0, n)
      .map(([questionId, answer]) => ({ questionId: questionId ?? '', answer: answer ?? '' }));
    await this.clearSecretCard(dc.context, s, dc.context.activity.replyToId);
    const caller = this.caller(dc.context);
    const r = await this.deps.useCases.registerQuestions.run(this.ctx(dc.context, s), pairs, {
      questionTexts: (id) => (['en', 'nl'] as const).map((l) => this.questionText(l, id)),
      userNames: [caller.name, caller.firstName, ...(caller.name ? caller.name.split(/\s+/) : []), caller.upn?.split('@')[0] ?? ''].filter(Boolean),
    });
    if (!r.ok) {
      if (isProofAsk(r.reason)) return this.startIntent(dc, s, s.intent ?? { action: 'add', kind: 'securityQuestions' });
      const where = r.problemIndex === undefined ? '' : ` ${t('securityInfo.questions.where', { n: r.problemIndex + 1 })}`;
      s.secretCardId = await this.sendCard(dc.context, this.questionsCard(dc.context, s, t(`securityInfo.questions.problem.${r.reason}`) + where));
      return;
    }
    await this.showOverviewStep(dc, s, t('securityInfo.saved'));
  }

  // ---------- helpers ----------

  private destinationCard(context: TurnContext, s: FlowState, kind: 'mobilePhone' | 'officePhone' | 'email', error?: string): AdaptiveCard {
    const countries = kind === 'email' ? [] : pickerCountries(this.deps.useCases.deps.policy.phone.allowedCountries);
    return buildDestinationCard({ t: turnTranslator(context), flowId: s.flowId, kind, countries, ...(error ? { error } : {}) });
  }

  private questionsCard(context: TurnContext, s: FlowState, error?: string): AdaptiveCard {
    const policy = this.deps.useCases.deps.policy;
    const locale = turnLocale(context);
    const questions = availableQuestionIds(policy).map((id) => ({ id, text: this.questionText(locale, id) }));
    return buildQuestionsCard({ t: turnTranslator(context), flowId: s.flowId, count: policy.securityQuestions.register, questions, ...(error ? { error } : {}) });
  }

  private questionText(locale: 'en' | 'nl', id: string): string {
    if (id.startsWith('custom.')) {
      const q = this.deps.useCases.deps.policy.securityQuestions.custom.find((c) => `custom.${c.id}` === id);
      return q ? q[locale] : id;
    }
    return translate(locale, `questions.${id}`);
  }

  private async sendCodeCard(context: TurnContext, s: FlowState, kind: MethodKind, masked: string): Promise<void> {
    const t = turnTranslator(context);
    await this.sendCard(
      context,
      buildCodeEntryCard({
        t,
        flowId: s.flowId,
        verb: 'si.code',
        title: t('securityInfo.code.title', { method: methodName(t, kind) }),
        prompt: t(kind === 'officePhone' ? 'securityInfo.code.called' : 'securityInfo.code.sent', { dest: masked }),
        label: t('securityInfo.code.label'),
      }),
    );
  }

  private sendRefusalText(context: TurnContext, reason: string, retryAt: number | undefined): string {
    const t: Translator = turnTranslator(context);
    if (reason === 'throttled') return t('securityInfo.throttled', { time: formatTime(context, retryAt ?? this.deps.useCases.deps.clock.now() + 60_000) });
    if (reason === 'send_failed') return t('securityInfo.sendFailed');
    if (reason === 'destination_refused') return t('securityInfo.destination.invalid.phone');
    if (reason === 'helpdesk_required') return t('securityInfo.bootstrap.helpdesk', { contact: this.contactText(context) });
    return t('securityInfo.gone');
  }

  private pagesOpen(context: TurnContext): boolean {
    return this.deps.secretPages?.opensDialogs(context) ?? false;
  }

  /**
   * R35: where the client opens dialogs, the secret is shown only in the dialog page: a single-use ticket and a card
   * that opens the page. False where dialogs do not open (the caller then shows the fallback card).
   */
  private async openSecretPage(context: TurnContext, s: FlowState, secret: PageSecret): Promise<boolean> {
    const pages = this.deps.secretPages;
    if (!pages || !pages.opensDialogs(context)) return false;
    await this.sendSecretPageCard(context, s, secret.purpose, await pages.issue(this.caller(context).user, secret));
    return true;
  }

  /** The card that opens the dialog page behind `ticket` (R35). */
  private async sendSecretPageCard(context: TurnContext, s: FlowState, purpose: PageSecret['purpose'], ticket: string): Promise<void> {
    await this.sendCard(context, buildSecretPageCard({ t: turnTranslator(context), flowId: s.flowId, purpose, ticket }));
  }

  /** Sends a card and returns its activity id (for a later replacement), when the channel gives one. */
  private async sendCard(context: TurnContext, c: AdaptiveCard): Promise<string | undefined> {
    const res = await context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(c)));
    return res?.id ? res.id : undefined;
  }

  /** Replaces the card that showed or collected a secret, so it does not stay in the chat (R12, R13, recovery codes). */
  private async clearSecretCard(context: TurnContext, s: FlowState, fallbackId?: string): Promise<void> {
    const id = s.secretCardId ?? fallbackId;
    s.secretCardId = undefined;
    if (!id) return;
    const t = turnTranslator(context);
    const cleared = buildSecretClearedCard({ t, title: t('securityInfo.cleared.title'), body: t('securityInfo.cleared.body') });
    try {
      await context.updateActivity({ id, type: ActivityTypes.Message, attachments: [CardFactory.adaptiveCard(cleared)] });
    } catch {
      await context.sendActivity(t('securityInfo.cleared.failed'));
    }
  }

  private contactText(context: TurnContext): string {
    return this.deps.useCases.deps.policy.helpdesk.contactText[turnLocale(context)];
  }

  private ctx(context: TurnContext, s: FlowState): ChangeContext {
    return { user: this.caller(context).user, locale: turnLocale(context), flowId: s.flowId };
  }

  private caller(context: TurnContext): SecurityInfoCaller {
    const c = this.deps.callerOf(context);
    // The gate (bot/teamsBot.ts) resolves the caller before any dialog runs; none here is a wiring bug.
    if (!c) throw new SsprError('internal', 'no caller resolved for this turn');
    return c;
  }

  private load(dc: DialogContext): FlowState {
    const st = dc.activeDialog?.state as Record<string, unknown> | undefined;
    const s = st?.[STATE] as FlowState | undefined;
    if (!s) throw new SsprError('internal', 'security info state missing');
    return s;
  }

  private save(dc: DialogContext, s: FlowState | undefined): void {
    const st = dc.activeDialog?.state as Record<string, unknown> | undefined;
    if (st) st[STATE] = s;
  }
}

function isCodeKindName(k: MethodKind): k is 'mobilePhone' | 'officePhone' | 'email' {
  return CODE_KINDS.has(k);
}

