import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  ConversationState,
  type TurnContext,
} from 'botbuilder';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Config } from './config';
import type { Logger } from './logger';
import { Metrics } from './metrics';
import { CachingBotFrameworkAuthentication } from './connectorCache';
import { createServer as createNodeServer } from 'node:http';
import { bearerMatches, createHttpServer } from './server';
import { SsprBot } from './teamsBot';
import { pageUrlFor, registerPagesApi, type PagesApi } from './api/pagesApi';
import { registerHelpdeskApi } from './api/helpdesk';
import { createCallerVerificationDialog } from './helpdesk/callerVerification';
import { TaskModules } from './taskModules';
import { TeamsSender } from './teamsSender';
import { createProcessCampaigns, type Campaigns } from './worker/createCampaigns';
import { CampaignChat } from './worker/campaignChat';
import { registerLockoutWebhook } from './api/campaignWebhook';
import { pseudonymOf } from '../adapters/audit/jsonAuditLog';
import { securityAlertOf } from '../domain/campaigns/securityAlerts';
import { RootDialog } from '../dialogs/rootDialog';
import { turnTranslator } from '../dialogs/turnLocale';
import { startupMark } from './startupPhases';
import { describeTurnError, errorCodeOf } from './turnErrors';
import { checkRedisDurability } from './redisClient';
import { securityInfoUseCases } from './securityInfoJourney';
import { createStateBackend, type StateBackend } from './state/stateBackend';
import { registerDevChannelIfDevelopment, type DevChannelDeps } from './devChannel/registerDevChannel';
import { demoPageDeps } from './devChannel/demoPageDeps';
import { createServices, type ServiceOverrides, type Services } from './services';
import { TeamsNotifications } from './notifications';
import { buildJourneys } from './journeys';
import type { Notifications } from '../domain/ports/notifications';
import { createAuditTrail } from './auditTrail';
import { MemoryDirectory } from '../adapters/directory/memoryDirectory';
import { createInsights, type Insights } from './insights';
import { registerAdminApi } from './api/adminApi';
import type { SsoTokenValidator } from './auth/ssoToken';
import { createHelpdesk, type Helpdesk, type HelpdeskOptions } from './helpdesk/createHelpdesk';
import { CALLER_KEY } from './teamsBot';
import type { Caller } from './identity';
import type { CoverageSnapshot } from '../domain/ports/insightsStore';

export interface App {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly adapter: CloudAdapter;
  readonly redis: Redis | null;
  /** Every store, limiter, the turn guard and the botbuilder Storage (rule 17: Redis or memory, chosen once). */
  readonly state: StateBackend;
  readonly services: Services;
  /** Helpdesk hand-off (issue 6). */
  readonly helpdesk: Helpdesk;
  /** The pages inside Teams and their API (/app/, /api/…): enrolment tickets and page URLs for the journeys. */
  readonly pages: PagesApi;
  /** Proactive campaigns (issue 13): started in this process by `npm start` when CAMPAIGNS_IN_PROCESS (development default). */
  readonly campaigns: Campaigns;
  /** Admin insights (issue 14): counters, report, registration coverage scan. */
  readonly insights: Insights & { readonly refreshCoverage: () => Promise<CoverageSnapshot> };
  /** Start listening; resolves with the bound port. */
  listen(port?: number, host?: string): Promise<number>;
  /** Graceful shutdown: stop accepting, wait for in-flight turns (≤ drainMs), close Redis. */
  close(drainMs?: number): Promise<void>;
}

export interface AppOverrides {
  /** Use this Redis client instead of creating one from config.redis.url. */
  readonly redis?: Redis;
  /** Development channel: told of every activity the bot sends or updates (the tests' transcript scan, R35). */
  readonly devTranscript?: DevChannelDeps['onBotActivity'];
  readonly memberLookup?: ConstructorParameters<typeof SsprBot>[0]['memberLookup'];
  /** Clock, random source, directory or audit log for tests. */
  readonly services?: ServiceOverrides;
  /** Helpdesk timings for tests. */
  readonly helpdesk?: HelpdeskOptions;
  /** SSO token validator of the admin API (tests with a local JWKS). */
  readonly adminTokens?: SsoTokenValidator;
  /** ITSM API rate limits for tests. */
  readonly helpdeskApi?: { readonly perKeyPerMinute?: number; readonly authFailuresPerMinute?: number };
}

/** The composition root: config → adapters → use-cases → dialogs → server. */
export async function createApp(config: Config, logger: Logger, overrides: AppOverrides = {}): Promise<App> {
  const metrics = new Metrics({ defaultMetrics: true });
  const clock = overrides.services?.clock ?? { now: () => Date.now() };
  // Rule 17: Redis or memory is chosen once, by the state backend (overrides.redis, else config.redis.url).
  const state = createStateBackend(config, overrides.redis, {
    clock,
    clockDecidesExpiry: overrides.services?.clock !== undefined,
    onBackgroundError: () => metrics.redisFailures.inc(),
  });
  const redis = state.redis;
  if (redis) redis.on('error', () => metrics.redisFailures.inc());
  // The client connects in the background and has no offline queue (F1): give it a moment (bounded, never throws —
  // R22: the bot starts and answers "unavailable" while Redis is down) so the first commands don't fail needlessly.
  if (redis) await connected(redis, 2000);
  startupMark('redis');

  if (redis && config.mode === 'production' && !config.redis.skipDurabilityCheck) {
    await connected(redis, 5000);
    const report = await checkRedisDurability(redis);
    if (!report.ok) {
      redis.disconnect();
      throw new Error(
        `Redis is not set up for durability (R23): ${report.problems.join('; ')}. ` +
          'Fix the Redis configuration or set REDIS_SKIP_DURABILITY_CHECK=true to override.',
      );
    }
  }

  const refs = state.refs;
  const conversationState = new ConversationState(state.storage);

  const auth = new ConfigurationBotFrameworkAuthentication({
    MicrosoftAppId: config.bot.appId ?? '',
    MicrosoftAppPassword: config.bot.appPassword ?? '',
    MicrosoftAppTenantId: config.bot.appTenantId ?? '',
    MicrosoftAppType: config.bot.appType,
  });
  // One Bot Connector client per service URL instead of one per inbound activity (issue 15; bot/connectorCache.ts).
  const adapter = new CloudAdapter(new CachingBotFrameworkAuthentication(auth));
  // First middleware: duplicate activities are dropped (R24) and turns of one conversation serialised (R25).
  if (state.turnGuard) adapter.use(state.turnGuard);

  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    const ref = randomBytes(4).toString('hex');
    // The cause, not botbuilder-dialogs' DialogContextError wrapper; its code under errorCode (bot/turnErrors.ts).
    const failure = describeTurnError(error);
    const code = failure.code;
    metrics.errors.inc({ code });
    // Rule 10: the detail goes to the log with an incident id; the user sees only the id.
    logger.error({ incident: ref, ...failure.log, activityId: context.activity.id }, 'turn failed');
    const t = turnTranslator(context);
    try {
      await context.sendActivity(t(code === 'state_unavailable' || code === 'lock_timeout' ? 'error.unavailable' : 'error.generic', { ref }));
    } catch {
      /* the channel may be gone too; the log has the incident */
    }
    if (code !== 'state_unavailable') {
      try {
        await conversationState.delete(context);
      } catch {
        /* state store unavailable: nothing more to do */
      }
    }
  };

  // Notifications need the adapter and the services; bound once both exist.
  let notifier: Notifications | null = null;
  const notifications: Notifications = {
    notify: async (user, event, correlationId, change) => notifier?.notify(user, event, correlationId, change),
  };
  const clockForAudit = clock;
  const trail = overrides.services?.audit ? null : createAuditTrail(config, logger, clockForAudit, { onSinkError: (sink) => metrics.auditSinkFailures.inc({ sink }) });
  // Every event also adds to the admin insights' counters (issue 14), whatever audit log the app was given.
  const insights = createInsights(config, state.insights, clockForAudit, logger, () => metrics.insightsFailures.inc(), (b) => metrics.business.inc(b));
  const services = await createServices(config, state, logger, notifications, { ...overrides.services, audit: insights.observe(overrides.services?.audit ?? trail!) });
  startupMark('services');
  const audit = services.audit;
  // One paced, retrying sender for every proactive message (notifications and the pages' outcomes).
  // With Redis the pacing (Teams' per-conversation limits, Retry-After) is shared with every instance and worker.
  const teamsSender = new TeamsSender(
    adapter,
    config.bot.appId ?? '',
    state.campaigns.pacer ? { pacer: state.campaigns.pacer } : {},
  );
  notifier = new TeamsNotifications({
    sender: teamsSender,
    adapter,
    appId: config.bot.appId ?? '',
    refs,
    methods: services.security.methods,
    mail: services.security.notifier,
    logger,
    clock: services.clock,
  });

  const helpdesk = createHelpdesk({
    config,
    state,
    adapter,
    refs,
    logger,
    audit,
    events: services.events,
    directory: services.directory,
    notifications,
    clock: services.clock,
    random: services.random,
    ...(overrides.helpdesk ? { options: overrides.helpdesk } : {}),
    // E2: the helpdesk's security-channel posts pass the campaigns' alert policy, dedupe and hourly cap.
    alertGate: async (e) => {
      const a = securityAlertOf(e, (u) => pseudonymOf(config.keys.auditPseudonym, u));
      return a ? (await campaigns.alerts.admit(a)).ok : true;
    },
    // R31: a started `register` hand-off is the bootstrap of an account without methods.
    registerBootstrap: async (user, locale, handoffId, correlationId) => {
      await securityInfoUseCases(services).bootstrap.fromHelpdesk({ user, locale, flowId: correlationId }, handoffId);
    },
    talk: {
      methodKinds: async (user) => (await services.security.methods.list(user)).map((m) => m.kind),
      block: services.recovery.deps.block,
      counter: services.recovery.deps.counter,
    },
  });

  const campaigns = createProcessCampaigns({
    config,
    redis,
    state,
    logger,
    services,
    channel: adapter,
    securityChannel: () => helpdesk.destinations.reference('security'),
  });
  // E2: alerts the helpdesk's security-channel poster does not already post (it posts privileged resets, shared
  // buckets, "this wasn't me"), rate-limited and deduplicated by the campaign use-case.
  services.events.subscribe(async (e) => {
    if (e.type !== 'verification_blocked') return;
    const a = securityAlertOf(e, (u) => pseudonymOf(config.keys.auditPseudonym, u));
    if (!a) return;
    await campaigns.alerts.raise(a).catch((err: unknown) => logger.warn({ errorCode: errorCodeOf(err) }, 'security alert not queued'));
  });
  const campaignChat = new CampaignChat({
    actions: campaigns.actions,
    talkToHelpdesk: async (context) => {
      const caller = context.turnState.get<Caller | undefined>(CALLER_KEY);
      if (caller) await helpdesk.bot.talk(context, caller, 'unlock');
    },
  });

  const policy = config.policy;
  // R35: one ticket store for the journeys (they issue) and the dialog page's API (it redeems).
  const enrolments = state.enrolments;
  const root = new RootDialog({
    campaign: async (context, action) => {
      const caller = context.turnState.get<Caller | undefined>(CALLER_KEY);
      if (caller) await campaignChat.handle(context, caller.user, action);
    },
    handoff: async (context, action, token) => {
      const caller = context.turnState.get<Caller | undefined>(CALLER_KEY);
      return caller ? helpdesk.bot.useToken(context, caller.user, action, token) : null;
    },
    journeys: buildJourneys({ config, services, adapter, refs, logger, enrolments }),
    contactText: (l) => policy.helpdesk.contactText[l],
    callerVerification: createCallerVerificationDialog(config, services, helpdesk),
    talkToHelpdesk: async (context, tried) => {
      const caller = context.turnState.get<Caller | undefined>(CALLER_KEY);
      if (caller) await helpdesk.bot.talk(context, caller, tried);
    },
  });
  const bot = new SsprBot({
    conversationState,
    root,
    refs,
    allowedTenants: config.bot.allowedTenants,
    requireRoster: config.mode === 'production',
    logger,
    methodCount: async (user) => (await services.security.methods.list(user)).filter((m) => m.confirmedAt !== null).length,
    // The reset precheck's own rules (one rule book): the reasons that no registration would fix.
    helpdeskOnly: (user) => services.recovery.start.helpdeskOnly(user),
    contactText: (l) => policy.helpdesk.contactText[l],
    taskModules: new TaskModules({ pageUrl: (page, params) => pageUrlFor(config.publicBaseUrl, page, params) }),
    ...(overrides.memberLookup ? { memberLookup: overrides.memberLookup } : {}),
    onChannelMessage: (context) => helpdesk.bot.onChannelMessage(context),
    events: services.events,
  });
  bot.onMembersAdded(async (context, next) => {
    // R2: only an install whose sender the roster confirms is recorded as the user's chat (R18 notices, campaigns).
    const caller = await bot.installedBy(context);
    if (caller) await helpdesk.bot.onInstall(context, caller.user);
    await next();
  });

  startupMark('composed');
  let devChannel: { close(): void } | undefined;
  const ready = (): Promise<boolean> => state.ready();
  // R36: /metrics behind a bearer token, or only on a separate internal listener (METRICS_PORT).
  const metricsAccess = config.metrics.port !== undefined ? ('off' as const) : config.metrics.token ? { token: config.metrics.token } : undefined;
  const http = createHttpServer({
    adapter,
    bot,
    logger,
    metrics,
    ready,
    allowLoopbackServiceUrl: config.mode === 'development',
    ...(metricsAccess ? { metricsAccess } : {}),
  });
  let metricsServer: ReturnType<typeof createMetricsServer> | undefined;
  const pages = registerPagesApi(http.server, { config, services, logger, state, refs, sender: teamsSender });
  // The ITSM API for ticketing systems (issue 6): API keys, idempotency, per-key limits; hand-offs as from Teams.
  // The admin API (issue 14): insights and the audit export for API keys and admin-group members.
  registerAdminApi(http.server, { config, logger, state, audit: services.audit, directory: services.directory, insights, clock: services.clock, random: services.random, ...(overrides.adminTokens ? { tokens: overrides.adminTokens } : {}) });
  if (config.campaigns.lockoutWebhookSecret)
    registerLockoutWebhook(http.server, { secret: config.campaigns.lockoutWebhookSecret, report: campaigns.reportLockout, logger, now: () => services.clock.now() });
  registerHelpdeskApi(http.server, { config, logger, state, helpdesk, audit: services.audit, clock: services.clock, random: services.random, ...(overrides.helpdeskApi ? { limits: overrides.helpdeskApi } : {}) });

  const coverage = insights.coverage(
    services.directory,
    services.security.methods,
    services.directory instanceof MemoryDirectory ? services.directory.listUsers()[0]?.tenantId : undefined,
  );
  let coverageRun: Promise<CoverageSnapshot> | null = null;
  // One scan at a time per instance; a failed scan is logged and tried again at the next turn of the timer.
  const refreshCoverage = (): Promise<CoverageSnapshot> =>
    (coverageRun ??= coverage.execute().finally(() => {
      coverageRun = null;
    }));
  const coverageTimer = setInterval(() => {
    refreshCoverage().catch((e: unknown) => logger.warn({ errorCode: errorCodeOf(e) }, 'registration coverage scan failed'));
  }, 6 * 3_600_000);
  coverageTimer.unref();

  return {
    config,
    logger,
    metrics,
    adapter,
    redis,
    state,
    services,
    helpdesk,
    pages,
    campaigns,
    insights: { ...insights, refreshCoverage },
    listen: async (port = config.port, host = config.host) => {
      const bound = await new Promise<number>((resolve) => {
        http.server.listen(port, host, () => resolve(http.server.address().port));
      });
      if (config.metrics.port !== undefined && !metricsServer) {
        metricsServer = createMetricsServer(metrics, config.metrics.token);
        const server = metricsServer;
        await new Promise<void>((resolve) => server.listen(config.metrics.port, config.metrics.host, () => resolve()));
      }
      // Development only (404 in production): the local Web Chat page and Direct Line endpoint (issue 7).
      const local = `http://127.0.0.1:${bound}`;
      devChannel = registerDevChannelIfDevelopment(config.mode, http.server, {
        botEndpoint: `${local}/api/messages`,
        selfBaseUrl: local,
        ...(overrides.devTranscript ? { onBotActivity: overrides.devTranscript } : {}),
        ...demoPageDeps({
          directory: services.directory,
          outbox: services.security.outbox,
          policy: config.policy,
          confirmedMethodCount: async (user) => (await services.security.methods.list(user)).filter((m) => m.confirmedAt !== null).length,
          block: services.recovery.deps.block,
          now: () => services.clock.now(),
        }),
        logger,
      });
      return bound;
    },
    close: async (drainMs = 10_000) => {
      clearInterval(coverageTimer);
      devChannel?.close();
      metricsServer?.close();
      await new Promise<void>((resolve) => {
        http.server.close(() => resolve());
        // Closing stops new connections; in-flight turns finish below.
        setImmediate(resolve);
      });
      const deadline = Date.now() + drainMs;
      while (http.inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      await campaigns.close(Math.max(0, deadline - Date.now()));
      await helpdesk.bot.settled();
      await insights.settled();
      await trail?.close();
      if (redis && state.ownsClient) await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** The internal /metrics listener (METRICS_PORT): nothing else is served there; a token still applies when set. */
function createMetricsServer(metrics: Metrics, token: string | undefined): import('node:http').Server {
  // Plain node:http (restify patches ServerResponse.writeHead; status and headers are set without chaining it).
  return createNodeServer((req, res) => {
    const answer = (status: number, headers: Record<string, string> = {}, body = ''): void => {
      res.statusCode = status;
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      res.end(body);
    };
    void (async () => {
      if ((req.url ?? '').split('?')[0] !== '/metrics' || req.method !== 'GET') return answer(404);
      if (token !== undefined && !bearerMatches(req.headers.authorization, token)) return answer(401, { 'WWW-Authenticate': 'Bearer' });
      const text = await metrics.registry.metrics();
      answer(200, { 'Content-Type': metrics.registry.contentType }, text);
    })().catch(() => {
      if (!res.headersSent) answer(500);
    });
  });
}

/** Wait until the client is connected (or the timeout passes; the check that follows then reports the failure). */
async function connected(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    function done(): void {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    }
    redis.once('ready', done);
  });
}
