import restify, { type Request, type Response, type Server } from 'restify';
import type { CloudAdapter, ActivityHandler } from 'botbuilder';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { bodyDecoder, DEFAULT_MAX_BODY_BYTES } from './inbound/bodyDecoder';

export interface ServerDeps {
  readonly adapter: CloudAdapter;
  readonly bot: ActivityHandler;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Readiness: state store reachable and writable. */
  readonly ready: () => Promise<boolean>;
  /** Largest accepted request body (bytes). */
  readonly maxBodyBytes?: number;
}

export interface HttpServer {
  readonly server: Server;
  /** Requests currently being handled (graceful shutdown waits for them). */
  inFlight(): number;
}

/** The restify server: the Bot Framework endpoint, health, readiness and metrics. Other routes are added by callers. */
export function createHttpServer(deps: ServerDeps): HttpServer {
  const server = restify.createServer({ name: 'sspr-bot', handleUncaughtExceptions: false });
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

  server.post('/api/messages', async (req: Request, res: Response) => {
    const end = deps.metrics.turnSeconds.startTimer();
    const body = req.body as { type?: unknown } | undefined;
    const type = typeof body?.type === 'string' ? body.type : 'unknown';
    try {
      await deps.adapter.process(req, res, (context) => deps.bot.run(context));
      deps.metrics.turns.inc({ type, outcome: String(res.statusCode) });
    } catch (err) {
      deps.metrics.turns.inc({ type, outcome: 'error' });
      deps.logger.error({ err: { name: (err as Error)?.name, code: (err as { code?: string })?.code } }, 'activity processing failed');
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
  server.get('/metrics', async (_req: Request, res: Response) => {
    const text = await deps.metrics.registry.metrics();
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.sendRaw(200, text);
  });

  return { server, inFlight: () => inFlight };
}
