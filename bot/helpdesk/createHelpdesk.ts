import type { CloudAdapter, TurnContext } from 'botbuilder';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { AuditLog } from '../../domain/ports/auditLog';
import { pseudonymOf } from '../../adapters/audit/jsonAuditLog';
import { SECURITY_ALERT_EVENTS, type DomainEvent, type DomainEvents } from '../../domain/events';
import { ChannelDestinations } from './destinations';
import type { Clock, RandomSource } from '../../domain/ports/clock';
import type { Directory } from '../../domain/ports/directory';
import type { ConversationRefStore } from '../../domain/ports/conversationRefs';
import type { Handoff } from '../../domain/helpdesk/handoff';
import type { HandoffListener, HandoffStore } from '../../domain/ports/handoffStore';
import type { Notifications } from '../../domain/ports/notifications';
import { HelpdeskHandoffs } from '../../domain/helpdesk/helpdeskHandoffs';
import { HmacTokenDigest } from '../../adapters/helpdesk/hmacTokenDigest';
import { graphInstallerFor } from '../worker/wiring';
import { WebhookSender } from '../../adapters/helpdesk/webhookSender';
import { HelpdeskBot, type HelpdeskBotDeps } from './helpdeskBot';
import { MemoryDirectory } from '../../adapters/directory/memoryDirectory';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { StateBackend } from '../state/stateBackend';
import { TalkToHelpdesk } from '../../domain/helpdesk/talkToHelpdesk';
import { securityAlertOf } from '../../domain/campaigns/securityAlerts';
import { buildSecurityAlertCard } from '../../cards/securityAlertCard';
import { translator } from '../../locales';
import { auditTrailUrl } from '../api/adminAudit';
import type { UserRef } from '../../domain/model/user';
import type { VerificationBlock } from '../../domain/ports/verificationBlock';
import type { RecoveryCounter } from '../../domain/ports/recoveryCounter';

export interface HelpdeskOptions {
  /** Wait for the install conversationUpdate after a Graph install (default 30 s). */
  readonly installWaitMs?: number;
  /** First webhook retry delay (default 1 s). */
  readonly webhookBaseDelayMs?: number;
  /** "Talk to the helpdesk" requests forwarded per user per hour (default 1). */
  readonly talkPerHour?: number;
}

export interface Helpdesk {
  readonly handoffs: HelpdeskHandoffs;
  readonly bot: HelpdeskBot;
  readonly store: HandoffStore;
  readonly destinations: ChannelDestinations;
}

export interface HelpdeskDeps {
  readonly config: Config;
  /** The hand-off store, the admin-bound destinations (R32, used when configuration names none) and the limiter (rule 17). */
  readonly state: Pick<StateBackend, 'handoffs' | 'bindings' | 'limiter'>;
  readonly adapter: CloudAdapter;
  readonly refs: ConversationRefStore;
  readonly logger: Logger;
  readonly audit: AuditLog;
  readonly events: DomainEvents & { settled?(): Promise<void> };
  readonly directory: Directory;
  readonly notifications: Notifications;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly options?: HelpdeskOptions;
  /**
   * E2 (issue 13): the campaigns' security-alert policy, dedupe and rate limit (RaiseSecurityAlert.admit), asked
   * before the security channel is posted to; false = not posted (switched off, already told, over the hourly cap).
   * A failing gate posts anyway: a security alert is never lost to a Redis hiccup.
   */
  readonly alertGate?: (e: DomainEvent) => Promise<boolean>;
  /** R31: what a started `register` hand-off does for an account without methods (the bootstrap use-case). */
  readonly registerBootstrap?: HelpdeskBotDeps['registerBootstrap'];
  /** Sources of the "talk to the helpdesk" summary (method kinds, verification block, resets today). */
  readonly talk?: {
    readonly methodKinds: (user: UserRef) => Promise<readonly string[]>;
    readonly block: VerificationBlock;
    readonly counter: RecoveryCounter;
  };
}

/** Composition of the helpdesk hand-off (issue 6): store, use-cases, Teams side, Graph installer, webhook. */
export function createHelpdesk(d: HelpdeskDeps): Helpdesk {
  const { config } = d;
  const store: HandoffStore = d.state.handoffs;
  const digestKey = config.keys.codeHmac[0]?.key ?? Buffer.alloc(32);
  let bot: HelpdeskBot | null = null;
  const listener: HandoffListener = { changed: async (h: Handoff) => bot?.changed(h) };
  const handoffs = new HelpdeskHandoffs({
    policy: config.policy,
    directory: d.directory,
    store,
    digest: new HmacTokenDigest(digestKey),
    audit: d.audit,
    events: d.events,
    clock: d.clock,
    random: d.random,
    listener,
    // The tenant of agents named by the ITSM API. Development with the demo directory (refused in production): its
    // tenant, so the API works on `npm start`'s defaults without ALLOWED_TENANTS (issue 11 item 1).
    apiTenantId:
      config.bot.appTenantId ??
      config.bot.allowedTenants[0] ??
      config.directory.graph.tenantId ??
      (config.mode === 'development' && d.directory instanceof MemoryDirectory ? d.directory.listUsers()[0]?.tenantId : undefined) ??
      '',
    adminGroups: config.adminGroupIds,
  });
  const destinations = new ChannelDestinations(config, d.state.bindings);
  const installer = graphInstallerFor(config, d.clock);
  const h = config.helpdesk;
  const webhook =
    h.webhookUrl && h.webhookSecret
      ? new WebhookSender({
          url: h.webhookUrl,
          secret: h.webhookSecret,
          clock: d.clock,
          ...(d.options?.webhookBaseDelayMs !== undefined ? { baseDelayMs: d.options.webhookBaseDelayMs } : {}),
          onGiveUp: (eventId, last) => d.logger.warn({ eventId, last }, 'helpdesk webhook gave up'),
        })
      : undefined;
  const talkPoints = d.options?.talkPerHour ?? 1;
  const talkLimiter = d.state.limiter('helpdesk-talk', talkPoints, 3600);
  const talkLimit = async (user: UserRef): Promise<boolean> => {
    try {
      await talkLimiter.consume(`${user.tenantId}:${user.objectId}`);
      return true;
    } catch (e) {
      // Over the limit: the helpdesk already has this user's request. A limiter failure never blocks the user.
      return !(e instanceof RateLimiterRes);
    }
  };
  bot = new HelpdeskBot({
    adapter: d.adapter,
    appId: config.bot.appId ?? '',
    handoffs,
    refs: d.refs,
    logger: d.logger,
    ...(installer ? { installer } : {}),
    ...(webhook ? { webhook } : {}),
    ...(d.options?.installWaitMs !== undefined ? { installWaitMs: d.options.installWaitMs } : {}),
    ...(d.talk ? { talk: new TalkToHelpdesk({ ...d.talk, resets: config.policy.resets, audit: d.audit, clock: d.clock, directory: d.directory }) } : {}),
    contactText: (l) => config.policy.helpdesk.contactText[l],
    // E2 (issue 13): the one alert card, in the security channel's language; the user named by the audit
    // pseudonym, never by object id (R20), with the link to the event's audit trail.
    securityAlertCard: (e) => {
      const a = securityAlertOf(e, (u) => pseudonymOf(config.keys.auditPseudonym, u));
      if (!a) return null;
      return buildSecurityAlertCard({
        t: translator(config.channels.securityLocale),
        alert: a.kind,
        subject: a.subject,
        correlationId: a.correlationId,
        detail: a.detail ?? {},
        auditUrl: auditTrailUrl(config.publicBaseUrl, a.correlationId, a.at ?? e.at),
      });
    },
    talkLimit,
    destinations,
    isAdmin: (user) => handoffs.isAdmin(user),
    clock: d.clock,
    eventsSettled: async () => d.events.settled?.(),
    ...(d.registerBootstrap ? { registerBootstrap: d.registerBootstrap } : {}),
  });
  // Rule 18: the hand-off outcome follows domain events, not audit-event names.
  d.events.subscribe((e) => handoffs.observe(e));
  // R32/R33: security alerts go to the configured (or admin-bound) security-alert channel.
  d.events.subscribe(async (e) => {
    if (!SECURITY_ALERT_EVENTS.has(e.type) || !bot) return;
    if (d.alertGate && !(await d.alertGate(e).catch(() => true))) return;
    await bot.alert(e);
  });
  return { handoffs, bot, store, destinations };
}

export type { TurnContext };
