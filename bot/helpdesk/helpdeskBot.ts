import { CardFactory, MessageFactory, TurnContext, type CloudAdapter, type ConversationReference } from 'botbuilder';
import { randomBytes } from 'node:crypto';
import type { AdaptiveCard } from '../../cards/adaptiveCard';
import { buildHelpdeskOfferCard } from '../../cards/helpdeskOfferCard';
import { buildHelpdeskStatusCard } from '../../cards/helpdeskStatusCard';
import type { MenuChoice } from '../../cards/verbs';
import type { Handoff, HandoffPurpose } from '../../domain/helpdesk/handoff';
import type { HelpdeskHandoffs } from '../../domain/helpdesk/helpdeskHandoffs';
import type { HelpdeskSummary, TalkContext, TalkToHelpdesk } from '../../domain/helpdesk/talkToHelpdesk';
import type { ConversationRefStore } from '../../domain/ports/conversationRefs';
import type { HandoffListener } from '../../domain/ports/handoffStore';
import type { UserRef } from '../../domain/model/user';
import type { DomainEvent } from '../../domain/events';
import type { DestinationKind } from '../../domain/ports/channelBindings';
import type { ChannelDestinations } from './destinations';
import { resolveLocale, translator, type Locale } from '../../locales';
import { namedTime } from '../../locales/times';
import { turnTimeZone } from '../../dialogs/turnLocale';
import type { GraphAppInstaller } from '../../adapters/helpdesk/graphAppInstaller';
import type { WebhookSender } from '../../adapters/helpdesk/webhookSender';
import { activityTenant, type Caller } from '../identity';
import type { Logger } from '../logger';

export interface HelpdeskBotDeps {
  readonly adapter: CloudAdapter;
  readonly appId: string;
  readonly handoffs: HelpdeskHandoffs;
  readonly refs: ConversationRefStore;
  readonly logger: Logger;
  /** Installs the app for users without a 1:1 chat; absent = such users cannot be reached. */
  readonly installer?: GraphAppInstaller;
  readonly webhook?: WebhookSender;
  /** How long to wait for the install conversationUpdate after a Graph install. */
  readonly installWaitMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** "Talk to the helpdesk": the summary use-case; absent = the user is only given the contact text. */
  readonly talk?: TalkToHelpdesk;
  /** How to reach the helpdesk, per language (policy.helpdesk.contactText). */
  readonly contactText?: (locale: Locale) => string;
  /** Allows one forwarded talk request per user per window (true = forward); absent = no limit. */
  readonly talkLimit?: (user: UserRef) => Promise<boolean>;
  /** R32: the helpdesk and security-alert channels (configured or bound once by an admin), never learned. */
  readonly destinations: ChannelDestinations;
  /** Is this Teams user in an admin group (object ids, nested groups count)? Needed to bind a channel. */
  readonly isAdmin: (user: UserRef) => Promise<boolean>;
  readonly clock?: { now(): number };
  /** Waits for domain-event listeners (the hand-off outcome subscriber) — part of `settled()`. */
  readonly eventsSettled?: () => Promise<void>;
  /** R31: a started `register` hand-off is the bootstrap of an account without methods (the use-case decides). */
  readonly registerBootstrap?: (user: UserRef, locale: Locale, handoffId: string, correlationId: string) => Promise<void>;
  /**
   * E2: the security-alert card of an event (cards/securityAlertCard.ts, the one format the campaign queue posts
   * too: the audit pseudonym, never the user, and the audit trail link), or null for an event that is no alert.
   */
  readonly securityAlertCard?: (e: DomainEvent) => AdaptiveCard | null;
}

/** Where the agent's status card is: stored on the hand-off (a conversation reference is no secret). */
interface StatusCardRef {
  readonly reference: Partial<ConversationReference>;
  readonly activityId: string;
  readonly locale: Locale;
  /** The agent's time zone when they created the hand-off (the card's times are shown in it). */
  readonly timeZone?: string;
}

/** The journey a hand-off's [Start] begins; `verifyCaller` = the caller verification dialog (not on the menu). */
export type HandoffJourney = MenuChoice | 'verifyCaller';

const PURPOSE_JOURNEY: Readonly<Record<HandoffPurpose, HandoffJourney>> = {
  reset: 'reset',
  unlock: 'unlock',
  register: 'securityInfo',
  verify: 'verifyCaller',
};

/**
 * The helpdesk's side of the bot: channel commands (`handoff`, `verify`, `help`) from agents checked against the
 * directory, the user's proactive offer (Graph install first when there is no chat yet), the agent's status card
 * updated in place, outcome webhooks, and the user's [Start]/[Decline].
 */
export class HelpdeskBot implements HandoffListener {
  private readonly waiters = new Map<string, () => void>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: HelpdeskBotDeps) {
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Resolves when every background delivery started so far has finished (tests, graceful shutdown). */
  async settled(): Promise<void> {
    await this.deps.eventsSettled?.();
    while (this.pending.size) await Promise.allSettled([...this.pending]);
    await this.deps.eventsSettled?.();
  }

  private background(p: Promise<unknown>): void {
    const tracked = p.catch((err: unknown) => this.deps.logger.error({ err: { name: (err as Error)?.name } }, 'helpdesk background task failed'));
    this.pending.add(tracked);
    const untrack = (): void => void this.pending.delete(tracked);
    tracked.then(untrack, untrack);
  }

  /** SsprBot's onChannelMessage: true when this was a helpdesk command (answered here). */
  async onChannelMessage(context: TurnContext): Promise<boolean> {
    const locale = resolveLocale(context.activity.locale);
    const t = translator(locale);
    // R32: nothing about this chat is stored — the helpdesk channel comes from configuration or an admin's bind.
    const words = cleanText(context.activity.text).split(/\s+/).filter(Boolean);
    const cmd = (words[0] ?? '').toLowerCase();
    if (cmd === 'help' || cmd === 'hulp' || cmd === '') {
      await context.sendActivity(t('helpdesk.cmd.help'));
      return true;
    }
    if (cmd === 'bind' || cmd === 'unbind') {
      await this.bindCommand(context, cmd, (words[1] ?? '').toLowerCase());
      return true;
    }
    // Anything else is not a helpdesk command: the bot answers with the R1 pointer to the 1:1 chat.
    if (cmd !== 'handoff' && cmd !== 'verify') return false;
    const tenantId = activityTenant(context);
    const objectId = context.activity.from?.aadObjectId;
    const targetName = words[1];
    if (!tenantId || !objectId) {
      await context.sendActivity(t('helpdesk.cmd.notAgent'));
      return true;
    }
    if (!targetName) {
      await context.sendActivity(t('helpdesk.cmd.usage'));
      return true;
    }
    let purpose: HandoffPurpose = cmd === 'verify' ? 'verify' : 'reset';
    let rest = words.slice(2);
    if (cmd === 'handoff' && rest[0] && ['reset', 'unlock', 'register'].includes(rest[0].toLowerCase())) {
      purpose = rest[0].toLowerCase() as HandoffPurpose;
      rest = rest.slice(1);
    }
    const correlationId = randomBytes(8).toString('hex');
    const created = await this.deps.handoffs.create({
      agent: { kind: 'teams', user: { tenantId, objectId }, name: context.activity.from.name ?? '' },
      targetName,
      purpose,
      ...(rest[0] ? { ticket: rest[0] } : {}),
      correlationId,
    });
    if (!created.ok) {
      const key = { not_agent: 'helpdesk.cmd.notAgent', unknown_user: 'helpdesk.cmd.unknownUser', self: 'helpdesk.cmd.self' }[created.reason];
      await context.sendActivity(t(key));
      return true;
    }
    const { handoff, token } = created.value;
    const zone = turnTimeZone(context.activity);
    const sent = await context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(buildHelpdeskStatusCard(statusView(handoff, locale, zone)))));
    if (sent?.id) {
      const card: StatusCardRef = { reference: TurnContext.getConversationReference(context.activity), activityId: sent.id, locale, ...(zone ? { timeZone: zone } : {}) };
      await this.deps.handoffs.attachStatusCard(handoff.id, card as unknown as Record<string, unknown>);
    }
    this.background(this.deliver(handoff.id, token, correlationId));
    return true;
  }

  /** `bind helpdesk|security` / `unbind …` in a team channel, by a member of an admin group only (R32). */
  private async bindCommand(context: TurnContext, cmd: 'bind' | 'unbind', arg: string): Promise<void> {
    const t = translator(resolveLocale(context.activity.locale));
    if (arg !== 'helpdesk' && arg !== 'security') {
      await context.sendActivity(t('helpdesk.bind.usage'));
      return;
    }
    const kind: DestinationKind = arg;
    const tenantId = activityTenant(context);
    const objectId = context.activity.from?.aadObjectId;
    if (!tenantId || !objectId || !(await this.deps.isAdmin({ tenantId, objectId }))) {
      this.deps.logger.warn({ kind, cmd }, 'channel bind refused: not an admin');
      await context.sendActivity(t('helpdesk.bind.notAdmin'));
      return;
    }
    const what = t(`helpdesk.bind.what.${kind}`);
    if (cmd === 'bind') {
      const r = await this.deps.destinations.bind(kind, context, objectId, this.deps.clock?.now() ?? Date.now());
      const key = { bound: 'helpdesk.bind.bound', configured: 'helpdesk.bind.configured', already_bound: 'helpdesk.bind.already', not_a_channel: 'helpdesk.bind.notChannel' }[r];
      if (r === 'bound') this.deps.logger.info({ kind, by: objectId }, 'channel bound');
      await context.sendActivity(t(key, { what, kind }));
      return;
    }
    const r = await this.deps.destinations.unbind(kind, context);
    const key = { unbound: 'helpdesk.bind.unbound', configured: 'helpdesk.bind.configured', not_bound_here: 'helpdesk.bind.notBoundHere' }[r];
    if (r === 'unbound') this.deps.logger.info({ kind, by: objectId }, 'channel unbound');
    await context.sendActivity(t(key, { what, kind }));
  }

  /** Post a security alert (domain event) to the security-alert channel, when there is one (R32, R33). */
  async alert(e: DomainEvent): Promise<void> {
    const ref = await this.deps.destinations.reference('security');
    if (!ref) return;
    const alert = this.deps.securityAlertCard?.(e);
    if (!alert) return;
    const outcome = await this.sendWithRetry(ref, async (ctx) => {
      await ctx.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(alert)));
    });
    if (outcome !== 'ok') this.deps.logger.warn({ event: e.type, outcome, correlationId: e.correlationId }, 'security alert not delivered');
  }

  /** Deliver a hand-off created elsewhere (ITSM API) in the background: the caller answers at once. */
  dispatch(handoffId: string, token: string, correlationId: string): void {
    this.background(this.deliver(handoffId, token, correlationId));
  }

  /** Deliver the offer to the user's 1:1 chat (Graph install first when needed); record sent or why it failed. */
  async deliver(handoffId: string, token: string, correlationId: string): Promise<void> {
    const h = await this.deps.handoffs.get(handoffId);
    if (!h) return;
    let ref = (await this.deps.refs.get(h.target)) as Partial<ConversationReference> | null;
    if (!ref?.conversation) {
      if (!this.deps.installer) {
        await this.deps.handoffs.mark(h.id, 'failed', correlationId, 'not_reachable');
        return;
      }
      const arrived = this.waitForInstall(h.target);
      const result = await this.deps.installer.install(h.target.objectId);
      if (result === 'denied' || result === 'failed') {
        this.waiters.delete(waitKey(h.target));
        await this.deps.handoffs.mark(h.id, 'failed', correlationId, result === 'denied' ? 'install_denied' : 'not_reachable');
        return;
      }
      await arrived;
      ref = (await this.deps.refs.get(h.target));
      if (!ref?.conversation) {
        await this.deps.handoffs.mark(h.id, 'failed', correlationId, 'not_reachable');
        return;
      }
    }
    const t = translator(resolveLocale(ref.locale));
    const offer = buildHelpdeskOfferCard({ t, agentName: h.agent.name, purpose: h.purpose, token, ...(h.ticket ? { ticket: h.ticket } : {}) });
    const outcome = await this.sendWithRetry(ref, async (ctx) => {
      await ctx.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(offer)));
    });
    if (outcome === 'ok') await this.deps.handoffs.mark(h.id, 'sent', correlationId);
    else await this.deps.handoffs.mark(h.id, 'failed', correlationId, outcome);
  }

  /** Proactive send; 429/412/502/504 retried with back-off, 403 MessageWritesBlocked = the user removed the bot. */
  private async sendWithRetry(ref: Partial<ConversationReference>, logic: (ctx: TurnContext) => Promise<void>): Promise<'ok' | 'bot_blocked' | 'send_failed'> {
    for (let attempt = 1; attempt <= 4; attempt++) {
      try {
        await this.deps.adapter.continueConversationAsync(this.deps.appId, ref, logic);
        return 'ok';
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        const e = err as { body?: unknown; message?: string; response?: { bodyAsText?: string } };
        const text = `${JSON.stringify(e.body ?? '')} ${e.response?.bodyAsText ?? ''} ${e.message ?? ''}`;
        if (status === 403) return /MessageWritesBlocked|ConversationBlocked|BotDisabled/i.test(text) ? 'bot_blocked' : 'send_failed';
        if (status === undefined || ![429, 412, 502, 504].includes(status) || attempt === 4) return 'send_failed';
        await this.sleep(250 * 2 ** (attempt - 1));
      }
    }
    return 'send_failed';
  }

  private waitForInstall(user: UserRef): Promise<void> {
    const wait = this.deps.installWaitMs ?? 30_000;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waitKey(user));
        resolve();
      }, wait);
      this.waiters.set(waitKey(user), () => {
        clearTimeout(timer);
        this.waiters.delete(waitKey(user));
        resolve();
      });
    });
  }

  /** The install conversationUpdate of a 1:1 chat by `user` (as the bot checked it): keep its reference and wake a waiting delivery. */
  async onInstall(context: TurnContext, user: UserRef): Promise<void> {
    if (context.activity.conversation?.conversationType !== 'personal') return;
    await this.deps.refs.save(user, TurnContext.getConversationReference(context.activity));
    this.waiters.get(waitKey(user))?.();
  }

  /** The user's [Start]/[Decline] (root dialog hook): the journey to begin, or null after explaining why not. */
  async useToken(context: TurnContext, caller: UserRef, action: 'start' | 'decline', token: string): Promise<HandoffJourney | null> {
    const t = translator(resolveLocale(context.activity.locale));
    const correlationId = randomBytes(8).toString('hex');
    const r = action === 'start' ? await this.deps.handoffs.start(caller, token, correlationId) : await this.deps.handoffs.decline(caller, token, correlationId);
    if (!r.ok) {
      await context.sendActivity(t(r.reason === 'foreign' ? 'helpdesk.start.foreign' : 'helpdesk.start.invalid'));
      return null;
    }
    if (action === 'decline') {
      await context.sendActivity(t('helpdesk.start.declined'));
      return null;
    }
    if (r.value.purpose === 'register' && this.deps.registerBootstrap) {
      await this.deps.registerBootstrap(caller, resolveLocale(context.activity.locale), r.value.id, correlationId);
    }
    return PURPOSE_JOURNEY[r.value.purpose];
  }

  /**
   * "Talk to the helpdesk" (from anywhere, also mid-journey): post a secret-free summary to the helpdesk channel
   * and/or the webhook, and tell the user what happens next.
   */
  async talk(context: TurnContext, caller: Caller, tried: TalkContext): Promise<void> {
    const locale = resolveLocale(context.activity.locale);
    const t = translator(locale);
    const contact = this.deps.contactText?.(locale) ?? '';
    const channel = await this.deps.destinations.reference('helpdesk').catch(() => null);
    if (!this.deps.talk || (!channel?.conversation && !this.deps.webhook)) {
      await context.sendActivity(t('helpdesk.talk.unavailable', { contact }).trim());
      return;
    }
    if (this.deps.talkLimit && !(await this.deps.talkLimit(caller.user))) {
      await context.sendActivity(t('helpdesk.talk.already', { contact }).trim());
      return;
    }
    const correlationId = randomBytes(8).toString('hex');
    const summary = await this.deps.talk.summarize(caller.user, { displayName: caller.name, userPrincipalName: caller.upn ?? caller.name }, tried, correlationId);
    let delivered = false;
    if (channel?.conversation) {
      const text = summaryText(summary, resolveLocale(channel.locale), turnTimeZone(context.activity));
      const outcome = await this.sendWithRetry(channel, async (ctx) => {
        await ctx.sendActivity(MessageFactory.text(text));
      });
      delivered = outcome === 'ok';
      if (!delivered) this.deps.logger.warn({ correlationId, outcome }, 'helpdesk channel unreachable for a talk request');
    }
    if (this.deps.webhook) {
      const webhook = this.deps.webhook;
      this.background(
        webhook.send(`talk.${correlationId}`, {
          type: 'user.talk_request',
          user: summary.userPrincipalName,
          tried: summary.tried,
          methodKinds: summary.methodKinds,
          ...(summary.blockedUntil !== null ? { blockedUntil: new Date(summary.blockedUntil).toISOString() } : {}),
          resetsToday: summary.resetsToday,
          at: new Date(summary.at).toISOString(),
        }),
      );
      delivered = true;
    }
    await context.sendActivity(t(delivered ? 'helpdesk.talk.sent' : 'helpdesk.talk.unavailable', { contact }).trim());
  }

  /** HandoffListener: replace the agent's card in place and tell the ITSM webhook. */
  async changed(h: Handoff): Promise<void> {
    const card = h.statusCard as unknown as StatusCardRef | undefined;
    if (card?.reference?.conversation && card.activityId) {
      const view = buildHelpdeskStatusCard(statusView(h, card.locale, card.timeZone));
      await this.sendWithRetry(card.reference, async (ctx) => {
        await ctx.updateActivity({ type: 'message', id: card.activityId, attachments: [CardFactory.adaptiveCard(view)] });
      });
    }
    if (this.deps.webhook) {
      const payload = {
        type: 'handoff.status',
        handoff: h.id,
        status: h.status,
        ...(h.reason ? { reason: h.reason } : {}),
        purpose: h.purpose,
        ...(h.ticket ? { ticket: h.ticket } : {}),
        methodKinds: h.methodKinds,
        at: new Date(h.updatedAt).toISOString(),
      };
      const webhook = this.deps.webhook;
      this.background(webhook.send(`${h.id}.${h.history.length}`, payload));
    }
  }
}

function waitKey(u: UserRef): string {
  return `${u.tenantId}:${u.objectId}`;
}

/** Teams channel text: `<at>Bot</at> handoff …` with HTML entities. */
function cleanText(text: string | undefined): string {
  return (text ?? '')
    .replace(/<at>[^<]*<\/at>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .trim();
}

const TRIED_KEY: Readonly<Record<Exclude<TalkContext, 'none'>, string>> = {
  reset: 'helpdesk.purpose.reset',
  unlock: 'helpdesk.purpose.unlock',
  securityInfo: 'helpdesk.purpose.register',
};

/** The channel's view of a talk request: who, what they tried, method kinds, block — no secret, no destination. */
export function summaryText(s: HelpdeskSummary, locale: Locale, timeZone: string | null = null): string {
  const t = translator(locale);
  const kinds = s.methodKinds.map((k) => t(`helpdesk.kind.${k}`)).join(', ');
  // In the user's zone, named: the agents who read the channel may be elsewhere.
  const blocked = s.blockedUntil === null ? t('helpdesk.talk.channel.notBlocked') : t('helpdesk.talk.channel.blockedUntil', { time: namedTime(locale, s.blockedUntil, timeZone, { date: true }) });
  return [
    `**${t('helpdesk.talk.channel.title', { name: s.displayName })}**`,
    '',
    `- ${t('helpdesk.status.user')}: ${s.displayName} (${s.userPrincipalName})`,
    `- ${t('helpdesk.talk.channel.tried')}: ${s.tried === 'none' ? t('helpdesk.talk.channel.triedNone') : t(TRIED_KEY[s.tried])}`,
    `- ${t('helpdesk.talk.channel.methods')}: ${kinds || t('helpdesk.talk.channel.methodsNone')}`,
    `- ${t('helpdesk.talk.channel.blocked')}: ${blocked}`,
    `- ${t('helpdesk.talk.channel.resetsToday')}: ${s.resetsToday}`,
    '',
    t('helpdesk.talk.channel.next', { upn: s.userPrincipalName }),
  ].join('\n');
}

function statusView(h: Handoff, locale: Locale, timeZone: string | null | undefined): Parameters<typeof buildHelpdeskStatusCard>[0] {
  return {
    t: translator(locale),
    locale,
    timeZone: timeZone ?? null,
    targetName: h.targetName,
    purpose: h.purpose,
    status: h.status,
    methodKinds: h.methodKinds,
    history: h.history,
    ...(h.ticket ? { ticket: h.ticket } : {}),
    ...(h.reason ? { reason: h.reason } : {}),
  };
}
