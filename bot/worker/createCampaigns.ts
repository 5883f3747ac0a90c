import { CardFactory, MessageFactory, type ConversationReference } from 'botbuilder';
import type { Cluster, Redis } from 'ioredis';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Services } from '../services';
import { resolveLocale, translator } from '../../locales';
import { buildCampaignCard } from '../../cards/campaigns/campaignCard';
import { auditTrailUrl } from '../api/adminAudit';
import type { ConversationRefStore } from '../../domain/ports/conversationRefs';
import type { OutboundMessage } from '../../domain/campaigns/model';
import type { CampaignLedger, CampaignOutbox, CampaignPreferences, DeadLetters, DeliveryLedger, ScanCursorStore, SentCards, TimeZoneLookup } from '../../domain/campaigns/ports';
import { ReminderGate } from '../../domain/campaigns/audience';
import { RunDirectoryScan, type CampaignScanner, type ScanResult } from '../../domain/campaigns/runScan';
import { ExpiryReminderScanner } from '../../domain/campaigns/expiryReminders';
import { LockoutAlertScanner, ReportLockout } from '../../domain/campaigns/lockoutAlerts';
import { RegistrationNudgeScanner } from '../../domain/campaigns/registrationNudges';
import { RaiseSecurityAlert, WatchSendSpikes } from '../../domain/campaigns/securityAlerts';
import { CampaignActions } from '../../domain/campaigns/campaignActions';
import { StillDue } from '../../domain/campaigns/stillDue';
import { createCampaignState, type CampaignState } from '../state/stateBackend';
import { TeamsSender, type ProactiveChannel } from '../teamsSender';
import { DeliveryProcessor, type DeliveryOutcome } from './delivery';
import { CampaignEngine, type CampaignEngineOptions, type ScheduledScan, type ScheduledWatch } from './campaignEngine';
import { InProcessEngine } from './inProcessEngine';
import { campaignTenant, graphInstallerFor, graphReadBackFor } from './wiring';
import type { DeliveryReadBack } from '../../domain/campaigns/inDoubt';
import { isCluster } from '../../adapters/redis/slotPipeline';

/** How often the scan role checks the R30 send counts (the alert's dedupe makes it once per hour). */
export const SPIKE_WATCH_EVERY_MS = 5 * 60_000;

/** Everything the campaigns need from the rest of the app. */
export interface CampaignsDeps {
  readonly config: Config;
  /** The fail-fast client (stores); null = memory (development only). */
  readonly redis: Redis | Cluster | null;
  /** The campaign stores, alert limiter and pacer (rule 17); default: the state backend's on `redis`. */
  readonly state?: CampaignState;
  readonly logger: Logger;
  readonly services: Pick<Services, 'clock' | 'directory' | 'security'> & { readonly events?: Pick<Services['events'], 'publish'> };
  readonly refs: ConversationRefStore;
  /** Sends proactive messages: the app's CloudAdapter, or a worker's ConnectorChannel. */
  readonly channel: ProactiveChannel;
  readonly securityChannel: () => Promise<Partial<ConversationReference> | null>;
  readonly installer?: { install(userObjectId: string): Promise<'installed' | 'already' | 'denied' | 'failed'> };
  /** The tenant of the directory scans (config, else the demo directory's). */
  readonly tenantId: string;
  readonly onOutcome?: (message: OutboundMessage, outcome: DeliveryOutcome) => void;
  /** Reads in-doubt messages back (default: Graph, when configured; see bot/worker/wiring.ts graphReadBackFor). */
  readonly readBack?: DeliveryReadBack;
  /** BullMQ timings (tests: short locks, stall limits, back-off). */
  readonly engine?: { readonly delivery?: Pick<NonNullable<CampaignEngineOptions['delivery']>, 'lockDurationMs' | 'stalledIntervalMs' | 'maxStalledCount' | 'backoffMs'> };
  /** BullMQ's own connection (default: a duplicate of `redis` with BullMQ's settings). */
  readonly bullConnection?: () => Redis | Cluster;
}

/** The campaigns of one process: use-cases for the chat and the webhook, and the engine that delivers and scans. */
export interface Campaigns {
  readonly outbox: CampaignOutbox;
  readonly actions: CampaignActions;
  readonly reportLockout: ReportLockout;
  readonly alerts: RaiseSecurityAlert;
  /** The R30 send-spike watch the scan role runs every {@link SPIKE_WATCH_EVERY_MS}. */
  readonly sendSpikes: WatchSendSpikes;
  readonly preferences: CampaignPreferences;
  /** The cards sent to each user (a button acts only on a card its user was sent). */
  readonly sentCards: SentCards;
  readonly ledger: CampaignLedger;
  readonly deliveryLedger: DeliveryLedger;
  readonly cursors: ScanCursorStore;
  readonly deadLetters: DeadLetters;
  readonly scanners: { readonly expiry: CampaignScanner; readonly lockout: CampaignScanner; readonly registration: CampaignScanner };
  readonly runScan: RunDirectoryScan;
  /** Run one scan now, in this process (tests, the in-process engine). */
  scanNow(name: 'expiry' | 'lockout' | 'registration'): Promise<ScanResult>;
  /** Start delivery and/or scans (per config roles). */
  start(): Promise<void>;
  close(drainMs?: number): Promise<void>;
}

/**
 * The one place that decides Redis + BullMQ or the in-process engine for campaigns (rule 17). With Redis every
 * store is shared and delivery is a BullMQ queue any number of workers take from; without Redis (development only)
 * an in-process loop runs the same use-cases with the same DeliveryProcessor.
 */
export function createCampaigns(d: CampaignsDeps): Campaigns {
  const { config, redis, services } = d;
  const clock = services.clock;
  const policy = config.policy.campaigns;
  const scope = config.policy.scope;
  const state = d.state ?? createCampaignState(config, redis, clock);
  const { preferences, ledger, deliveryLedger, cursors, deadLetters, sentCards } = state;
  const timeZones: TimeZoneLookup = {
    timeZone: async (user) => {
      const ref = (await d.refs.get(user).catch(() => null)) as { localTimezone?: unknown } | null;
      return typeof ref?.localTimezone === 'string' ? ref.localTimezone : null;
    },
  };
  const gate = new ReminderGate({ policy, preferences, timeZones });
  const directory = services.directory;
  const methods = {
    summary: async (user: Parameters<Services['security']['methods']['list']>[0]) => {
      const confirmed = (await services.security.methods.list(user)).filter((m) => m.confirmedAt !== null);
      const oldest = confirmed.reduce<number | null>((a, m) => (a === null || (m.confirmedAt ?? a) < a ? m.confirmedAt : a), null);
      return { confirmed: confirmed.length, oldestConfirmedAt: oldest };
    },
  };
  const scanners = {
    expiry: new ExpiryReminderScanner({ tenantId: d.tenantId, policy, scope, directory, gate }),
    lockout: new LockoutAlertScanner({ tenantId: d.tenantId, policy, scope, directory }),
    registration: new RegistrationNudgeScanner({
      tenantId: d.tenantId,
      policy,
      scope,
      requiredMethods: config.policy.methods.requiredForReset,
      reconfirmAfterDays: config.policy.methods.reconfirmAfterDays,
      methods,
      gate,
    }),
  };
  let spikeSeq = 0;
  const watches: ScheduledWatch[] = [
    { name: 'send-spikes', everyMs: SPIKE_WATCH_EVERY_MS, run: () => sendSpikes.check(`spike-watch-${clock.now()}-${spikeSeq++}`) },
  ];
  const scheduled: ScheduledScan[] = [
    { scanner: scanners.lockout, everyMs: policy.lockout.pollEverySeconds * 1000 },
    { scanner: scanners.expiry, everyMs: policy.expiry.scanEveryMinutes * 60_000 },
    { scanner: scanners.registration, everyMs: policy.registration.scanEveryHours * 3600_000 },
  ];

  const c = config.campaigns;
  const sender = new TeamsSender(d.channel, config.bot.appId ?? '', {
    ...(state.pacer ? { pacer: state.pacer } : {}),
  });
  const defaultTimeZone = policy.quietHours.defaultTimeZone;
  const readBack =
    d.readBack ?? graphReadBackFor(config, clock, async () => (await d.securityChannel().catch(() => null))?.conversation?.id?.split(';')[0] ?? null);
  const sending = new DeliveryProcessor({
    sender,
    refs: d.refs,
    ledger: deliveryLedger,
    deadLetters,
    sentCards,
    clock,
    securityChannel: d.securityChannel,
    ...(d.installer ? { installer: d.installer } : {}),
    postsInFlight: c.postsInFlight,
    ...(readBack ? { readBack, readBackAfterMs: c.readBack.afterMs } : {}),
    render: (m, locale, timeZone) => {
      // E2: the security channel is told in its configured language, not in whatever its reference says.
      const l = m.to.kind === 'securityChannel' ? config.channels.securityLocale : resolveLocale(locale);
      const auditUrl = m.card.kind === 'securityAlert' ? auditTrailUrl(config.publicBaseUrl, m.card.correlationId, m.card.at ?? m.createdAt) : null;
      // Entra cannot unlock (canUnlock false): the lockout card offers the verified reset instead of Unlock.
      const canUnlock = m.card.kind === 'lockout' ? directory.capabilities().canUnlock : true;
      return MessageFactory.attachment(CardFactory.adaptiveCard(buildCampaignCard(m.card, { t: translator(l), locale: l, timeZone, defaultTimeZone, canUnlock, ref: m.id, auditUrl })));
    },
  });
  // A reminder is checked again right before it goes out: the user may have dealt with it while it waited.
  const stillDue = new StillDue({ preferences, directory, methods, requiredMethods: config.policy.methods.requiredForReset, clock });
  const processor: Pick<DeliveryProcessor, 'deliver' | 'failed'> = {
    failed: (m, f) => sending.failed(m, f),
    deliver: async (m, attempt) => {
      if (m.notBefore === undefined || m.notBefore <= clock.now()) {
        const why = await stillDue.check(m);
        if (why) {
          d.logger.info({ event: 'campaign.not_due', kind: m.card.kind, why }, 'campaign reminder no longer due');
          return { kind: 'skipped', why: 'not_due' };
        }
      }
      return sending.deliver(m, attempt);
    },
  };
  const onOutcome = (m: OutboundMessage, o: DeliveryOutcome): void => {
    if (o.kind === 'dead') d.logger.warn({ event: 'campaign.dead_letter', kind: m.card.kind, reason: o.reason, status: o.status }, 'campaign message not delivered');
    d.onOutcome?.(m, o);
  };
  const onResult = (scan: string, r: ScanResult): void => {
    d.logger.info({ event: 'campaign.scan', scan, ok: r.ok, pages: r.pages, queued: r.queued, ...(r.ok ? { done: r.done } : { reason: r.reason }) }, 'campaign scan');
  };

  let engine: { start(): Promise<void>; close(drainMs?: number): Promise<void> };
  let outbox: CampaignOutbox;
  if (redis) {
    // Created on first use: a process that never queues or works (most bot instances) opens no BullMQ connections.
    let bull: CampaignEngine | null = null;
    let connection: Redis | Cluster | null = null;
    const get = (): CampaignEngine => {
      if (bull) return bull;
      connection = d.bullConnection?.() ?? bullConnectionLike(redis);
      bull = new CampaignEngine({
        connection,
        prefix: c.queuePrefix,
        onHandlerError: (m, e) =>
          d.logger.error({ event: 'campaign.dead_letter_failed', kind: m.card.kind, code: (e as { code?: string })?.code }, 'failed campaign job not recorded in the dead letters'),
        ...(c.roles.delivery ? { delivery: { processor, concurrency: c.concurrency, globalPerSecond: c.globalPerSecond, attempts: c.attempts, onOutcome, ...d.engine?.delivery } } : {}),
        ...(c.roles.scans ? { scans: { run: runScan, scheduled, watches, onResult } } : {}),
      });
      return bull;
    };
    outbox = { enqueue: (m) => get().outbox.enqueue(m) };
    engine = {
      start: () => get().start(),
      close: async (drainMs) => {
        if (!bull) return;
        await bull.close(drainMs);
        await connection?.quit().catch(() => undefined);
      },
    };
  } else {
    const mem = new InProcessEngine({ processor, scheduled, watches, attempts: c.attempts, onOutcome, onResult, run: () => runScan, concurrency: Math.min(c.concurrency, 32) });
    engine = mem;
    outbox = mem.outbox;
  }
  const runScan = new RunDirectoryScan({ directory, cursors, ledger, outbox, clock, pageSize: policy.scanPageSize });
  const alerts = new RaiseSecurityAlert({ policy, ledger, limit: state.alertLimit, outbox, clock });
  // R30 / E2: this hour's SMS + voice sends against 3× the 7-day hourly baseline, every 5 minutes on one worker.
  const sendSpikes = new WatchSendSpikes({ policy, counts: services.security.hourly, alerts, clock, tenantId: d.tenantId });

  return {
    outbox,
    actions: new CampaignActions({ policy, preferences, sentCards, events: services.events ?? { publish: () => undefined }, clock }),
    sentCards,
    reportLockout: new ReportLockout({ tenantId: d.tenantId, policy, scope, directory, ledger, outbox, clock }),
    alerts,
    sendSpikes,
    preferences,
    ledger,
    deliveryLedger,
    cursors,
    deadLetters,
    scanners,
    runScan,
    scanNow: (name) => runScan.run(scanners[name]),
    start: () => engine.start(),
    close: (drainMs) => engine.close(drainMs),
  };
}

/** What a process (the bot, `npm run worker`) hands over; the rest comes from its config. */
export interface ProcessCampaignsDeps {
  readonly config: Config;
  readonly redis: Redis | Cluster | null;
  /** The process's state backend: the campaign stores and the conversation references. */
  readonly state: { readonly campaigns: CampaignState; readonly refs: ConversationRefStore };
  readonly logger: Logger;
  readonly services: Services;
  readonly channel: ProactiveChannel;
  readonly securityChannel: () => Promise<Partial<ConversationReference> | null>;
}

/**
 * The one wiring of a process's campaigns (the bot's and the worker's): its state backend's stores and references,
 * the scans' tenant and the Graph app installer from config (bot/worker/wiring.ts).
 */
export function createProcessCampaigns(d: ProcessCampaignsDeps): Campaigns {
  const installer = graphInstallerFor(d.config, d.services.clock);
  return createCampaigns({
    config: d.config,
    redis: d.redis,
    state: d.state.campaigns,
    logger: d.logger,
    services: d.services,
    refs: d.state.refs,
    channel: d.channel,
    securityChannel: d.securityChannel,
    ...(installer ? { installer } : {}),
    tenantId: campaignTenant(d.config, d.services.directory),
  });
}

/**
 * BullMQ's connection to the same Redis as the stores: a duplicate with BullMQ's settings (retry forever, offline
 * queue on, no command timeout: its blocking reads wait longer than the stores' 1 s).
 */
function bullConnectionLike(redis: Redis | Cluster): Redis | Cluster {
  const o = { maxRetriesPerRequest: null, enableOfflineQueue: true, commandTimeout: undefined } as const;
  // On a Cluster the offline queue and auto-pipelining are the Cluster's own options, not its nodes'.
  const dup = isCluster(redis)
    ? redis.duplicate(undefined, { enableOfflineQueue: true, enableAutoPipelining: false, redisOptions: { ...redis.options.redisOptions, ...o } })
    : redis.duplicate(o);
  dup.on('error', () => undefined);
  return dup;
}
