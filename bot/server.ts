import restify, { type Request, type Response, type Server, type ServerOptions } from 'restify';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Activity, CloudAdapter, ActivityHandler, InvokeResponse, TurnContext } from 'botbuilder';
import { AuthenticationError } from 'botframework-connector';
import { restifyLogger, type Logger } from './logger';
import type { Metrics } from './metrics';
import { bodyDecoder, DEFAULT_MAX_BODY_BYTES } from './inbound/bodyDecoder';
import { createActivityGate, invokeError } from './inbound/activityGate';
import { errorCodeOf } from './turnErrors';

export interface ServerDeps {
  readonly adapter: CloudAdapter;
  readonly bot: ActivityHandler;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Readiness: state store reachable and writable. */
  readonly ready: () => Promise<boolean>;
  /** Largest accepted request body (bytes). */
  readonly maxBodyBytes?: number;
  /** Development accepts an http serviceUrl on loopback; production only https (issue 16 gate). */
  readonly allowLoopbackServiceUrl?: boolean;
  /**
   * R36: who may read /metrics on this server. `token`: `Authorization: Bearer <token>` required; `off`: not served
   * here (a separate internal listener serves it); absent: open (development only — config refuses it in production).
   */
  readonly metricsAccess?: { readonly token: string } | 'off';
}

export interface HttpServer {
  readonly server: Server;
  /** Requests currently being handled (graceful shutdown waits for them). */
  inFlight(): number;
}

/** Constant-time check of `Authorization: Bearer <token>` (R36). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!m) return false;
  const a = createHash('sha256').update(m[1]!).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/**
 * The activity as botbuilder's own `CloudAdapter.process` hands it on: the timestamp fields as Dates, the strings
 * kept beside them (`rawTimestamp`, …), as botbuilder's serializer expects. The body has passed the gate already.
 */
function asActivity(body: Record<string, unknown>): Activity {
  for (const [field, raw] of [['timestamp', 'rawTimestamp'], ['localTimestamp', 'rawLocalTimestamp'], ['expiration', 'rawExpiration']] as const) {
    const value = body[field];
    if (typeof value === 'string') {
      body[raw] = value;
      body[field] = new Date(value);
    }
  }
  return body as unknown as Activity;
}

/**
 * `CloudAdapterBase.processActivity` (authenticate the request, build the TurnContext, run the middleware and the bot,
 * collect the expectReplies answer): the method `CloudAdapter.process` calls after its checks. Protected in
 * botbuilder's typings only.
 */
type ActivityProcessor = {
  processActivity(authHeader: string, activity: Activity, logic: (context: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined>;
};

/** The restify server: the Bot Framework endpoint, health, readiness and metrics. Other routes are added by callers. */
export function createHttpServer(deps: ServerDeps): HttpServer {
  // restify's own logging goes through the product's redacting logger (R20): nothing raw reaches a log.
  const server = restify.createServer({ name: 'sspr-bot', handleUncaughtExceptions: false, log: restifyLogger(deps.logger) as unknown as ServerOptions['log'] });
  let inFlight = 0;
  server.pre((req: Request, res: Response, next) => {
    inFlight++;
    let done = false;
    const finish = (): void => {
      if (!done) {
        done = true;
        inFlight--;
      }
    };
    res.once('finish', finish);
    res.once('close', finish);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });
  server.use(restify.plugins.queryParser({ mapParams: false }));
  // One bounded, error-handled decoder for every route (issue 16): no content codings, decoded bytes counted, JSON only.
  server.use(bodyDecoder({ maxBytes: deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES }));

  const gate = createActivityGate({ allowLoopbackHttp: deps.allowLoopbackServiceUrl ?? false });
  const processor = deps.adapter as unknown as ActivityProcessor;
  server.post('/api/messages', async (req: Request, res: Response) => {
    const body = req.body as { type?: unknown; id?: unknown } | undefined;
    // The gate runs before botbuilder: a malformed activity never becomes a turn (issue 16).
    const checked = gate(body);
    if (!checked.ok) {
      deps.metrics.inboundRefused.inc({ route: 'messages' });
      // Paths only, never values: the fields are the sender's, not ours.
      deps.logger.info({ fields: checked.fields, invoke: checked.invoke }, 'inbound: activity refused');
      res.send(400, checked.invoke ? invokeError('BadRequest', 'The activity is malformed.') : { error: 'invalid_activity' });
      return;
    }
    const end = deps.metrics.turnSeconds.startTimer();
    const type = typeof body?.type === 'string' ? body.type : 'unknown';
    try {
      // Issue 15 (the tail): CloudAdapter.processActivity, not CloudAdapter.process. process() only checks what the gate
      // has checked already (a POST, an object body, a string header) — but with zod v3 schemas it builds anew for
      // every request (`z.record(z.unknown())` twice, `z.string()`; each constructor binds ~25 methods): ≈ 24 KB of
      // garbage per turn. Inbound authentication is processActivity's, unchanged; its answer is written as process()
      // writes it (status, then the body if there is one).
      const answer = await processor.processActivity(req.headers.authorization ?? '', asActivity(body as Record<string, unknown>), (context) => deps.bot.run(context));
      res.status(answer?.status ?? 200);
      if (answer?.body !== undefined && answer.body !== null) res.send(answer.body);
      else res.end();
      deps.metrics.turns.inc({ type, outcome: String(res.statusCode) });
    } catch (err) {
      if (err instanceof AuthenticationError) {
        // An activity without a valid Bot Framework token (production): refused, as CloudAdapter.process refused it.
        deps.metrics.turns.inc({ type, outcome: '401' });
        deps.logger.info({ err: { name: err.name } }, 'inbound: activity not authenticated');
        if (!res.headersSent) res.send(401, { error: 'unauthorized' });
        return;
      }
      deps.metrics.turns.inc({ type, outcome: 'error' });
      deps.logger.error({ err: { name: (err as Error)?.name, errorCode: errorCodeOf(err) } }, 'activity processing failed');
      if (!res.headersSent) res.send(500, { error: 'internal' });
    } finally {
      end();
    }
  });

  server.get('/healthz', async (_req: Request, res: Response) => {
    res.send(200, { status: 'alive' });
  });
  server.get('/readyz', async (_req: Request, res: Response) => {
    const ok = await deps.ready().catch(() => false);
    res.send(ok ? 200 : 503, { status: ok ? 'ready' : 'not-ready' });
  });
  if (deps.metricsAccess !== 'off') {
    const token = deps.metricsAccess?.token;
    server.get('/metrics', async (req: Request, res: Response) => {
      if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
        res.setHeader('WWW-Authenticate', 'Bearer');
        res.send(401, { error: 'unauthorized' });
        return;
      }
      const text = await deps.metrics.registry.metrics();
      res.setHeader('Content-Type', deps.metrics.registry.contentType);
      res.sendRaw(200, text);
    });
  }

  return { server, inFlight: () => inFlight };
}
