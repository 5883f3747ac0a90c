import { ActivityTypes, CardFactory, MessageFactory, type StatePropertyAccessor, type TurnContext } from 'botbuilder';
import {
  ComponentDialog,
  DialogSet,
  DialogTurnStatus,
  WaterfallDialog,
  type Dialog,
  type DialogContext,
  type DialogState,
  type DialogTurnResult,
  type WaterfallStepContext,
} from 'botbuilder-dialogs';
import { buildHelpCard, buildMenuCard } from '../cards/menuCard';
import { RootVerb, type CampaignVerb, type MenuChoice } from '../cards/verbs';
import type { Locale } from '../locales';
import { DIALOG_IDS } from './dialogIds';
import { recognizeIntent, type Intent } from './intents';
import { turnLocale, turnTranslator } from './turnLocale';

/** A user goal the root can start: its menu choice and the ComponentDialog that runs it. */
export interface Journey {
  readonly choice: Exclude<MenuChoice, 'help'>;
  readonly dialog: Dialog;
}

export interface RootDialogDeps {
  readonly journeys: readonly Journey[];
  /** How to reach the helpdesk, per language (policy). */
  readonly contactText: (locale: Locale) => string;
  /**
   * The user pressed [Start]/[Decline] on a helpdesk hand-off: the bot layer uses the token up (R21) and answers
   * which journey to begin, or null when it already told the user why not.
   */
  readonly handoff?: (context: TurnContext, action: 'start' | 'decline', token: string) => Promise<MenuChoice | 'verifyCaller' | null>;
  /** The caller verification a helpdesk `verify` hand-off starts (not on the menu). */
  readonly callerVerification?: Dialog;
  /** "Talk to the helpdesk" (any time, also mid-journey): the bot layer posts a summary and tells the user what's next. */
  readonly talkToHelpdesk?: (context: TurnContext, tried: HelpdeskTried) => Promise<void>;
  /**
   * A proactive campaign card's own button (snooze, stop, "this wasn't me", helpdesk) or a typed "stop these
   * reminders": the bot layer calls the campaign use-case and answers. Also mid-journey; the journey stays.
   */
  readonly campaign?: (context: TurnContext, action: CampaignVerb | { readonly verb: 'campaign.stopAll' }) => Promise<void>;
}

/** What the user was doing when they asked for the helpdesk (the summary tells the agent). */
export type HelpdeskTried = 'reset' | 'unlock' | 'securityInfo' | 'none';

/** What the user asked for this turn: a menu/card choice, a typed intent, or nothing recognisable. */
type Request =
  | { kind: 'intent'; intent: Intent }
  | { kind: 'invalidSubmit' }
  | { kind: 'helpdesk'; tried: HelpdeskTried }
  | { kind: 'handoff'; action: 'start' | 'decline'; token: string }
  | { kind: 'campaign'; action: CampaignVerb | { readonly verb: 'campaign.stopAll' } };

/**
 * The root of every 1:1 conversation: recognises what the user wants (typed in English or Dutch, or a menu card
 * choice), starts the matching journey, and lets "help" and "cancel" interrupt any journey.
 */
export class RootDialog extends ComponentDialog {
  private readonly journeys: ReadonlyMap<string, Journey>;

  constructor(private readonly deps: RootDialogDeps) {
    super(DIALOG_IDS.ROOT);
    this.journeys = new Map(deps.journeys.map((j) => [j.choice, j]));
    for (const j of deps.journeys) this.addDialog(j.dialog);
    if (deps.callerVerification) this.addDialog(deps.callerVerification);
    this.addDialog(new WaterfallDialog(DIALOG_IDS.ROOT_WATERFALL, [this.routeStep.bind(this), this.finishStep.bind(this)]));
    this.initialDialogId = DIALOG_IDS.ROOT_WATERFALL;
  }

  /** Menu choices that exist in this deployment (the menu offers nothing else). */
  get menuChoices(): MenuChoice[] {
    const order: MenuChoice[] = ['reset', 'unlock', 'securityInfo', 'check'];
    return [...order.filter((c) => this.journeys.has(c)), 'help'];
  }

  /** Run one turn through the dialog stack kept in `accessor`. */
  async run(context: TurnContext, accessor: StatePropertyAccessor<DialogState>): Promise<void> {
    const set = new DialogSet(accessor);
    set.add(this);
    const dc = await set.createContext(context);
    const result = await dc.continueDialog();
    if (result.status === DialogTurnStatus.empty) await dc.beginDialog(this.id);
  }

  /** Help and cancel interrupt whatever journey is running. */
  protected override async onContinueDialog(innerDc: DialogContext): Promise<DialogTurnResult> {
    const interrupted = await this.interrupt(innerDc);
    return interrupted ?? super.onContinueDialog(innerDc);
  }

  private async interrupt(dc: DialogContext): Promise<DialogTurnResult | undefined> {
    const { activity } = dc.context;
    if (activity.type !== (ActivityTypes.Message as string)) return undefined;
    const req = readRequest(dc.context);
    const t = turnTranslator(dc.context);
    if (req.kind === 'handoff') {
      await dc.cancelAllDialogs();
      return dc.beginDialog(this.id);
    }
    if (req.kind === 'campaign' && this.deps.campaign) {
      await this.deps.campaign(dc.context, req.action);
      return { status: DialogTurnStatus.waiting };
    }
    const running = [...this.journeys.values()].find((j) => j.dialog.id === dc.activeDialog?.id);
    const tried: HelpdeskTried = running && running.choice !== 'check' ? running.choice : 'none';
    if (req.kind === 'helpdesk' && this.deps.talkToHelpdesk) {
      await this.deps.talkToHelpdesk(dc.context, req.tried === 'none' ? tried : req.tried);
      return { status: DialogTurnStatus.waiting };
    }
    if (req.kind !== 'intent') return undefined;
    if (req.intent === 'cancel') {
      await dc.context.sendActivity(t('cancel.done'));
      return dc.cancelAllDialogs();
    }
    if (req.intent === 'help') {
      await this.sendHelp(dc.context);
      return { status: DialogTurnStatus.waiting };
    }
    if (req.intent === 'helpdesk' && this.deps.talkToHelpdesk) {
      // The journey stays where it was: the user may carry on while the helpdesk is told.
      await this.deps.talkToHelpdesk(dc.context, tried);
      return { status: DialogTurnStatus.waiting };
    }
    if (req.intent === 'helpdeskCommand' || req.intent === 'thanks') {
      // Answered without leaving the journey: the open card still works.
      await dc.context.sendActivity(t(req.intent === 'thanks' ? 'thanks.reply' : 'helpdeskCommand.pointer'));
      return { status: DialogTurnStatus.waiting };
    }
    if (req.intent === 'menu') {
      await dc.cancelAllDialogs();
      await this.sendMenu(dc.context);
      return { status: DialogTurnStatus.complete };
    }
    // Another journey asked for while one runs — pressed on a menu, or typed ("unlock my account" with a code card
    // open): switch (the old journey is abandoned, nothing was changed). Typed words naming the running journey stay
    // with it (a password typed into chat during a reset is refused there, R15).
    if (isJourneyIntent(req.intent) && this.journeys.has(req.intent) && (activity.value !== undefined || running?.choice !== req.intent)) {
      await dc.cancelAllDialogs();
      return dc.beginDialog(this.id);
    }
    return undefined;
  }

  /** Reads the request and starts the journey, or shows help / the menu. */
  private async routeStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { context } = step;
    const t = turnTranslator(context);
    const req = readRequest(context);
    if (req.kind === 'helpdesk') {
      if (this.deps.talkToHelpdesk) await this.deps.talkToHelpdesk(context, req.tried);
      else await context.sendActivity(t('help.contactOnly', { contact: this.deps.contactText(turnLocale(context)) }));
      return step.endDialog();
    }
    if (req.kind === 'invalidSubmit') {
      await context.sendActivity(t('error.invalidSubmit'));
      await this.sendMenu(context);
      return step.endDialog();
    }
    if (req.kind === 'campaign') {
      if (this.deps.campaign) await this.deps.campaign(context, req.action);
      else await this.sendMenu(context);
      return step.endDialog();
    }
    if (req.kind === 'handoff') {
      const choice = this.deps.handoff ? await this.deps.handoff(context, req.action, req.token) : null;
      if (choice === 'verifyCaller') {
        if (this.deps.callerVerification) return step.beginDialog(this.deps.callerVerification.id);
        await context.sendActivity(t('notAvailable.journey'));
        return step.endDialog();
      }
      const journey = choice && choice !== 'help' ? this.journeys.get(choice) : undefined;
      if (journey) return step.beginDialog(journey.dialog.id);
      if (choice) await context.sendActivity(t('notAvailable.journey'));
      return step.endDialog();
    }
    const { intent } = req;
    if (isJourneyIntent(intent)) {
      const journey = this.journeys.get(intent);
      if (journey) return step.beginDialog(journey.dialog.id);
      await context.sendActivity(t('notAvailable.journey'));
      await this.sendMenu(context);
      return step.endDialog();
    }
    if (intent === 'help') {
      await this.sendHelp(context);
      return step.endDialog();
    }
    if (intent === 'cancel') {
      await context.sendActivity(t('cancel.nothing'));
      return step.endDialog();
    }
    if (intent === 'helpdesk' && this.deps.talkToHelpdesk) {
      await this.deps.talkToHelpdesk(context, 'none');
      return step.endDialog();
    }
    if (intent === 'thanks' || intent === 'helpdeskCommand') {
      await context.sendActivity(t(intent === 'thanks' ? 'thanks.reply' : 'helpdeskCommand.pointer'));
      return step.endDialog();
    }
    if (intent === 'unknown') await this.sendMenu(context, t('unknown.text'));
    else await this.sendMenu(context);
    return step.endDialog();
  }

  /** After a journey ends the conversation is idle again. */
  private async finishStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return step.endDialog();
  }

  async sendMenu(context: TurnContext, intro?: string): Promise<void> {
    const t = turnTranslator(context);
    const view = intro === undefined ? { t, choices: this.menuChoices } : { t, choices: this.menuChoices, intro };
    await context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(buildMenuCard(view))));
  }

  /** What the bot does, in one card, with every journey and the helpdesk as buttons. */
  private async sendHelp(context: TurnContext): Promise<void> {
    const t = turnTranslator(context);
    const card = buildHelpCard({
      t,
      choices: this.menuChoices.filter((c) => c !== 'help'),
      contact: this.deps.contactText(turnLocale(context)),
      helpdesk: this.deps.talkToHelpdesk !== undefined,
    });
    await context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(card)));
  }
}

const JOURNEY_INTENTS = new Set<Intent>(['reset', 'unlock', 'securityInfo', 'check']);
function isJourneyIntent(i: Intent): i is 'reset' | 'unlock' | 'securityInfo' | 'check' {
  return JOURNEY_INTENTS.has(i);
}

/** A card submit of the root's verbs, or typed text. Card values that are not root verbs are left to journeys. */
function readRequest(context: TurnContext): Request {
  const value: unknown = context.activity.value;
  const text = context.activity.text;
  if (value !== undefined && value !== null) {
    const parsed = RootVerb.safeParse(value);
    if (!parsed.success) return { kind: 'invalidSubmit' };
    if (parsed.data.verb === 'cancel') return { kind: 'intent', intent: 'cancel' };
    if (parsed.data.verb === 'helpdesk') return { kind: 'helpdesk', tried: parsed.data.tried };
    if (parsed.data.verb === 'handoffStart' || parsed.data.verb === 'handoffDecline')
      return { kind: 'handoff', action: parsed.data.verb === 'handoffStart' ? 'start' : 'decline', token: parsed.data.token };
    if (parsed.data.verb !== 'menu') return { kind: 'campaign', action: parsed.data };
    return { kind: 'intent', intent: parsed.data.choice };
  }
  const intent = recognizeIntent(text);
  if (intent === 'stopReminders') return { kind: 'campaign', action: { verb: 'campaign.stopAll' } };
  return { kind: 'intent', intent };
}
