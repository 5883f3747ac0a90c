import {
  CardFactory,
  ConversationState,
  MessageFactory,
  TeamsActivityHandler,
  TurnContext,
  type ChannelAccount,
  type InvokeResponse,
  type StatePropertyAccessor,
  type TaskModuleRequest,
  type TaskModuleResponse,
} from 'botbuilder';
import type { DialogState } from 'botbuilder-dialogs';
import { createHash, randomBytes } from 'node:crypto';
import { buildWelcomeCard, type HelpdeskOnlyReason } from '../cards/welcomeCard';
import { RootVerb } from '../cards/verbs';
import { FLOW_SCHEMA_VERSION } from '../dialogs/dialogIds';
import type { RootDialog } from '../dialogs/rootDialog';
import { recognizeIntent } from '../dialogs/intents';
import { turnLocale, turnTimeZone, turnTranslator } from '../dialogs/turnLocale';
import type { Locale } from '../locales';
import type { ConversationRefStore } from '../domain/ports/conversationRefs';
import type { UserRef } from '../domain/model/user';
import type { DomainEvents } from '../domain/events';
import { activityTenant, checkAccess, isPersonal, teamsMemberLookup, type Access, type Caller, type MemberLookup, type RosterMember } from './identity';
import type { Logger } from './logger';
import { TURN_LEASE_KEY, type TurnLease } from './state/turnScope';
import { invokeError } from './inbound/activityGate';
import { supersedeOldCards } from './supersededCards';
import { withReaderZone } from '../adapters/senders/readerZone';

/** Per-conversation bookkeeping kept beside the dialog stack. References only, never secrets. */
interface ConversationMeta {
  schema?: number;
  welcomed?: boolean;
  member?: RosterMember | null;
  memberAt?: number;
  refHash?: string;
  /** The cards whose buttons are live (bot/supersededCards.ts): activity ids, never content. */
  activeCardIds?: string[];
  /** Their headings, so a replaced card still says what it was. */
  activeCardTitles?: Record<string, string>;
}

export const CALLER_KEY = Symbol('sspr.caller');
const MEMBER_CACHE_MS = 60 * 60 * 1000;

export interface SsprBotDeps {
  readonly conversationState: ConversationState;
  readonly root: RootDialog;
  readonly refs: ConversationRefStore;
  readonly allowedTenants: readonly string[];
  /** Production: a caller Teams cannot resolve is refused. Development: the activity's own fields are trusted. */
  readonly requireRoster: boolean;
  readonly logger: Logger;
  readonly memberLookup?: MemberLookup;
  /** How many verification methods a user has (to invite them to register at first contact). */
  readonly methodCount?: (user: UserRef) => Promise<number>;
  /**
   * Why the user's own account cannot use self-service at all (the reset precheck's reason), or null when it can:
   * the welcome then points to the helpdesk instead of inviting them to register.
   */
  readonly helpdeskOnly?: (user: UserRef) => Promise<HelpdeskOnlyReason | null>;
  /** The organisation's helpdesk contact line, per language. */
  readonly contactText?: (locale: Locale) => string;
  /** Messages in team channels (helpdesk). Without it the bot points to the 1:1 chat. */
  readonly onChannelMessage?: (context: TurnContext) => Promise<boolean>;
  /** Teams dialogs (task/fetch, task/submit) that open the pages inside Teams (bot/taskModules.ts). */
  readonly taskModules?: {
    fetch(context: TurnContext, request: TaskModuleRequest): TaskModuleResponse;
    submit(context: TurnContext, request: TaskModuleRequest): TaskModuleResponse;
  };
  readonly now?: () => number;
  /** R1/R2 gate refusals are domain events (`gate_refused`, rule 18): audited and counted, not only warn logs. */
  readonly events?: DomainEvents;
}

/** The Teams edge of the product: gates every turn (R1, R2), keeps conversation references, runs the root dialog. */
export class SsprBot extends TeamsActivityHandler {
  private readonly dialogState: StatePropertyAccessor<DialogState>;
  private readonly meta: StatePropertyAccessor<ConversationMeta>;
  private readonly lookup: MemberLookup;
  private readonly now: () => number;

  constructor(private readonly deps: SsprBotDeps) {
    super();
    this.dialogState = deps.conversationState.createProperty<DialogState>('dialogState');
    this.meta = deps.conversationState.createProperty<ConversationMeta>('meta');
    this.lookup = deps.memberLookup ?? teamsMemberLookup;
    this.now = deps.now ?? Date.now;

    this.onMessage(async (context, next) => {
      await this.handleMessage(context);
      await next();
    });
    this.onMembersAdded(async (context, next) => {
      const added: unknown = context.activity.membersAdded;
      await this.welcomeOnInstall(context, Array.isArray(added) ? added.filter(isAccount) : []);
      await next();
    });
  }

  /**
   * Invokes: the Teams manifest of this app can cause only the dialog invokes (task/fetch, task/submit) — the cards
   * use Action.Submit, the app has no message extension, files or configurable tab. Every other invoke (and a dialog
   * invoke where no dialog is offered) gets the Universal Action Model's "not supported" answer: 400 with an
   * application/vnd.microsoft.error body, never botbuilder's 501 or a thrown error.
   */
  protected override async onInvokeActivity(context: TurnContext): Promise<InvokeResponse> {
    const name = context.activity.name;
    if (this.deps.taskModules && ((name === 'task/fetch' && isPersonal(context)) || name === 'task/submit')) return super.onInvokeActivity(context);
    return { status: 400, body: invokeError('NotSupported', 'This invoke is not supported.') };
  }

  /** task/fetch: a card button asks for a page as a Teams dialog (personal chats only). */
  protected override async handleTeamsTaskModuleFetch(context: TurnContext, request: TaskModuleRequest): Promise<TaskModuleResponse> {
    if (!this.deps.taskModules) return super.handleTeamsTaskModuleFetch(context, request);
    return this.deps.taskModules.fetch(context, request);
  }

  /** task/submit: the page closed the dialog (its result already went to the pages API). */
  protected override async handleTeamsTaskModuleSubmit(context: TurnContext, request: TaskModuleRequest): Promise<TaskModuleResponse> {
    if (!this.deps.taskModules) return super.handleTeamsTaskModuleSubmit(context, request);
    const answer = this.deps.taskModules.submit(context, request);
    // The password page finished the reset through the API (the outcome reaches the chat as a message): the journey
    // that was waiting for the in-chat password card is over.
    if ((request?.data as { verb?: unknown } | undefined)?.verb === 'passwordDialogDone') await this.dialogState.delete(context);
    return answer;
  }

  /** Runs the turn, then saves state once (one write). */
  override async run(context: TurnContext): Promise<void> {
    // The codes and notices this turn sends by mail or text show their times in this user's zone (the senders read it).
    await withReaderZone(turnTimeZone(context.activity), () => super.run(context), context.activity.locale ?? null);
    // Issue 15: this write is the turn's last use of the conversation lock; the release rides with it.
    context.turnState.get<TurnLease | undefined>(TURN_LEASE_KEY)?.releaseWithLastWrite?.();
    await this.deps.conversationState.saveChanges(context, false);
  }

  private async handleMessage(context: TurnContext): Promise<void> {
    const t = turnTranslator(context);
    if (!isPersonal(context)) {
      // R2/R32: a channel command acts with its sender's object id (agent, admin checks): the roster must confirm it.
      if (this.deps.onChannelMessage && (await this.channelSenderConfirmed(context)) && (await this.deps.onChannelMessage(context))) return;
      // R1: no state is created and nothing is sent but a pointer to the 1:1 chat.
      this.auditRefusal(context, 'R1', 'not_personal');
      await context.sendActivity(t('scope.personalOnly'));
      return;
    }
    const meta = await this.meta.get(context, {});
    if (meta.schema !== undefined && meta.schema !== FLOW_SCHEMA_VERSION) {
      // Architecture rule 3: a dialog stack from an older deploy is cleared, kindly.
      await this.dialogState.delete(context);
      await context.sendActivity(t('flow.restarted'));
    }
    meta.schema = FLOW_SCHEMA_VERSION;

    const access = await this.access(context, meta);
    if (!access.ok) {
      this.deps.logger.warn({ reason: access.reason, activityId: context.activity.id }, 'access refused');
      this.auditRefusal(context, access.reason === 'not_personal' ? 'R1' : 'R2', access.reason);
      await context.sendActivity(t('access.refused', { contact: '' }).trim());
      return;
    }
    context.turnState.set(CALLER_KEY, access.caller);
    await this.refreshReference(context, access.caller, meta);
    supersedeOldCards(context, meta);

    const fresh = !meta.welcomed;
    meta.welcomed = true;
    const submitted = context.activity.value !== undefined && context.activity.value !== null;
    const intent = submitted ? 'unknown' : recognizeIntent(context.activity.text);
    const idle = !(await this.dialogState.get(context))?.dialogStack?.length;
    if (idle && fresh && submitted && !RootVerb.safeParse(context.activity.value).success) {
      // A journey's card in a conversation whose state is gone (expired, or Redis restarted empty: F5): say so kindly.
      await context.sendActivity(t('flow.expired'));
      await this.deps.root.sendMenu(context);
      return;
    }
    if (idle && !submitted && (fresh || intent === 'greeting')) {
      await this.sendWelcome(context, access.caller);
      if (intent === 'greeting' || intent === 'unknown') return;
    }
    await this.deps.root.run(context, this.dialogState);
  }

  /** R1/R2 for this activity: the allow-listed tenant and the roster's entry for `from.id` (looked up once per conversation). */
  private async access(context: TurnContext, meta: ConversationMeta): Promise<Access> {
    if (meta.member === undefined || meta.memberAt === undefined || this.now() - meta.memberAt > MEMBER_CACHE_MS) {
      meta.member = context.activity.from?.aadObjectId ? await this.lookup(context) : null;
      meta.memberAt = this.now();
    }
    return checkAccess(context, this.deps.allowedTenants, meta.member, this.deps.requireRoster);
  }

  /**
   * A channel message's sender as the roster knows `from.id`: an allow-listed tenant, and the roster's object id the one
   * the activity claims (without a roster answer: only where the roster is not required, i.e. development). No state is
   * kept in a channel (R1), so the roster is asked for each command.
   */
  private async channelSenderConfirmed(context: TurnContext): Promise<boolean> {
    const objectId = context.activity.from?.aadObjectId;
    // No identity claimed: nothing to confirm, the commands refuse it themselves.
    if (typeof objectId !== 'string' || objectId.length === 0) return true;
    const tenantId = activityTenant(context);
    if (tenantId && this.deps.allowedTenants.length > 0 && !this.deps.allowedTenants.includes(tenantId)) return false;
    const member = await this.lookup(context);
    if (member === null) return !this.deps.requireRoster;
    return member.aadObjectId === undefined || member.aadObjectId.toLowerCase() === objectId.toLowerCase();
  }

  /**
   * The user an install (conversationUpdate) in a 1:1 chat comes from, checked as a message's caller is (tenant,
   * roster: R2), or null. Only such an install may become the chat the user's proactive messages go to (R18, R39).
   */
  async installedBy(context: TurnContext): Promise<Caller | null> {
    if (!isPersonal(context)) return null;
    const access = await this.access(context, await this.meta.get(context, {}));
    return access.ok ? access.caller : null;
  }

  /** One `gate_refused` event (the audit log and the insights subscribe): the rule, the reason, the caller if named. */
  private auditRefusal(context: TurnContext, rule: 'R1' | 'R2', reason: string): void {
    const tenantId = activityTenant(context);
    const objectId = context.activity.from?.aadObjectId;
    this.deps.events?.publish({
      type: 'gate_refused',
      at: this.now(),
      correlationId: context.activity.id ?? randomBytes(8).toString('hex'),
      ...(tenantId && objectId ? { user: { tenantId, objectId } } : {}),
      rule,
      reason,
    });
  }

  private async refreshReference(context: TurnContext, caller: Caller, meta: ConversationMeta): Promise<void> {
    // The user's time zone rides along: campaigns keep quiet hours and show times in it (issue 13).
    const zone = turnTimeZone(context.activity);
    const ref = { ...TurnContext.getConversationReference(context.activity), ...(zone ? { localTimezone: zone } : {}) };
    // activityId changes every turn and is irrelevant for proactive sends: leave it out, or every turn would store.
    const { activityId: _activityId, ...stable } = ref;
    const hash = createHash('sha256').update(JSON.stringify(stable)).digest('base64url').slice(0, 16);
    // Stored only when it changed (service URL moves are rare) — saves a Redis round trip on most turns.
    if (meta.refHash === hash) return;
    await this.deps.refs.save(caller.user, ref);
    meta.refHash = hash;
  }

  private async sendWelcome(context: TurnContext, caller: Caller | null): Promise<void> {
    const t = turnTranslator(context);
    // On install the caller is the installer as the roster confirms it (installedBy); an unconfirmed one is told
    // nothing about the account (whether it has methods), only shown the menu.
    const user = caller?.user;
    const count = user && this.deps.methodCount ? await this.deps.methodCount(user).catch(() => undefined) : undefined;
    // Only when we would invite to register: is that even possible for this account (issue: a disabled user was told to)?
    const blocked =
      user && count === 0 && this.deps.helpdeskOnly
        ? await this.deps.helpdeskOnly(user).catch(() => null)
        : null;
    const card = buildWelcomeCard({
      t,
      firstName: caller?.firstName || (typeof context.activity.from?.name === 'string' ? context.activity.from.name.split(/\s+/)[0] : '') || '',
      choices: this.deps.root.menuChoices,
      inviteToRegister: count === 0,
      ...(blocked ? { helpdeskOnly: { reason: blocked, contact: this.deps.contactText?.(turnLocale(context)) ?? '' } } : {}),
    });
    await context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(card)));
  }

  /** Welcome on install in a 1:1 chat (the bot itself was added). */
  private async welcomeOnInstall(context: TurnContext, added: readonly ChannelAccount[]): Promise<void> {
    if (!isPersonal(context)) return;
    if (!added.some((m) => m.id === context.activity.recipient?.id)) return;
    const meta = await this.meta.get(context, {});
    if (meta.welcomed) return;
    meta.welcomed = true;
    meta.schema = FLOW_SCHEMA_VERSION;
    await this.sendWelcome(context, await this.installedBy(context));
  }
}

function isAccount(m: unknown): m is ChannelAccount {
  return typeof m === 'object' && m !== null && typeof (m as { id?: unknown }).id === 'string';
}
