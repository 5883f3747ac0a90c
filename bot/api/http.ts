import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'restify';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { StateBackend } from '../state/stateBackend';
import type { z } from 'zod';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { resolveLocale, type Locale } from '../../locales';
import { isSsprError } from '../../domain/errors';
import type { UserRef } from '../../domain/model/user';
import { bearerToken, type SsoTokenValidator } from '../auth/ssoToken';
import { ApiError } from './refusals';
import { requestClient } from './trustedProxy';
import { lockoutSubject } from '../../domain/helpdesk/clientAddress';

export { ApiError, refusal } from './refusals';

/** Largest JSON body the pages API accepts (bytes). */
export const MAX_API_BODY_BYTES = 4096;

/** A route parameter (restify types params as any). */
export function routeParam(req: Request, name: string): unknown {
  return (req.params as Record<string, unknown> | undefined)?.[name];
}

export interface ApiKitDeps {
  readonly config: Config;
  readonly logger: Logger;
  /** Rate limiters (rule 17: the state backend's); `withUserReads`: one read of a user's security info per request. */
  readonly state: Pick<StateBackend, 'limiter'> & Partial<Pick<StateBackend, 'withUserReads'>>;
  readonly tokens: SsoTokenValidator | undefined;
  readonly limits?: { readonly perMinute?: number; readonly writesPer10Minutes?: number };
}

/** What every route file uses: caller identity, bounded bodies, the write limit, locale, correlation, the wrapper. */
export interface ApiKit {
  identify(req: Request): Promise<UserRef>;
  /** `identify` and the per-user write budget (`write`), counted in the same round trip (issue 15). */
  identifyForWrite(req: Request): Promise<UserRef>;
  /**
   * `identifyForWrite`, and the route's first reads (`read`, called once the caller is known) issued in the same
   * round trip as the per-user limits (issue 15). The limits decide first: a refused caller gets exactly the refusal
   * `identifyForWrite` gives, and nothing of what was read; the read's result is handed over only once every limit
   * has admitted the caller. `read` must only read.
   */
  identifyForWriteWith<T>(req: Request, read: (user: UserRef) => Promise<T>): Promise<{ readonly user: UserRef; readonly read: T }>;
  body<T>(req: Request, schema: z.ZodType<T>): T;
  /** Per-user write budget (10 per 10 minutes by default). */
  write(user: UserRef): Promise<void>;
  localeOf(req: Request, explicit?: Locale): Locale;
  correlation(): string;
  handle(f: (req: Request, res: Response) => Promise<void>): (req: Request, res: Response) => Promise<void>;
}

/**
 * Teams SSO token (or, in development only, `X-Dev-User: <tenantId>:<objectId>`), per-user and per-address rate
 * limits, zod-parsed bodies within MAX_API_BODY_BYTES, JSON errors `{ error }`, 503 when Redis is down (R22).
 */
export function createApiKit(deps: ApiKitDeps): ApiKit {
  const { config, logger, tokens } = deps;
  const dev = config.mode === 'development';
  const limiter = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract => deps.state.limiter(keyPrefix, points, duration);
  const perUser = limiter('pages', deps.limits?.perMinute ?? 60, 60);
  const writes = limiter('pages-write', deps.limits?.writesPer10Minutes ?? 10, 600);
  const perIp = limiter('pages-ip', 300, 60);
  // R33: the client's address, not the socket peer's: behind the reverse proxy every user has the proxy's address,
  // and one client (signed in or not) would spend the whole organisation's budget. IPv6 counts per /64.
  const client = requestClient(config.proxy);
  const consume = async (l: RateLimiterAbstract, key: string): Promise<void> => {
    try {
      await l.consume(key);
    } catch (e) {
      throw e instanceof RateLimiterRes ? new ApiError(429, 'rate_limited') : new ApiError(503, 'temporarily_unavailable');
    }
  };
  /**
   * The per-address limit is taken for every request, identified or not, and a refusal by it wins. The caller is
   * identified first (the development header, or the Teams token: an RS256 check against cached keys, whose refetch
   * for an unknown key id jose holds to one per cooldown), then the address limit, the per-user limits (and the write
   * budget) and the route's read are issued in one tick: one socket write, one round trip, on both paths (issue 15).
   * A caller who cannot be identified still spends the address budget before the 401.
   */
  const identified = async <T,>(req: Request, forWrite: boolean, read: (user: UserRef) => Promise<T>): Promise<{ user: UserRef; read: T }> => {
    const addressKey = lockoutSubject(client(req));
    let user: UserRef;
    try {
      user = await resolveUser(req);
    } catch (e) {
      await consume(perIp, addressKey);
      throw e;
    }
    const key = `${user.tenantId}:${user.objectId}`;
    const limits = Promise.allSettled([consume(perIp, addressKey), consume(perUser, key), ...(forWrite ? [consume(writes, key)] : [])]);
    // Issued in the same tick as the limits, so in their socket write (auto-pipelining) and behind them on the
    // connection; looked at only after every limit has admitted the caller (a refusal does not wait for it either).
    const ahead = Promise.resolve().then(() => read(user));
    ahead.catch(() => undefined); // a refused caller never awaits it
    for (const r of await limits) if (r.status === 'rejected') throw r.reason;
    return { user, read: await ahead };
  };
  const nothing = (): Promise<undefined> => Promise.resolve(undefined);
  const resolveUser = async (req: Request): Promise<UserRef> => {
    const devHeader = req.header('x-dev-user');
    if (devHeader) {
      const m = dev ? /^([0-9a-f-]{36}):([0-9a-f-]{36})$/i.exec(devHeader.trim()) : null;
      if (!m?.[1] || !m[2]) throw new ApiError(401, 'unauthorized');
      return { tenantId: m[1].toLowerCase(), objectId: m[2].toLowerCase() };
    }
    const r = tokens ? await tokens.validate(bearerToken(req.header('authorization'))) : ({ ok: false, reason: 'missing' } as const);
    if (!r.ok) {
      logger.info({ reason: r.reason, route: req.getRoute()?.path }, 'pages api: token refused');
      throw r.reason === 'keys_unavailable' ? new ApiError(503, 'temporarily_unavailable') : new ApiError(401, 'unauthorized');
    }
    return r.value.user;
  };
  return {
    identify: async (req) => (await identified(req, false, nothing)).user,
    identifyForWrite: async (req) => (await identified(req, true, nothing)).user,
    identifyForWriteWith: (req, read) => identified(req, true, read),
    body: (req, schema) => {
      if (Number(req.header('content-length') ?? '0') > MAX_API_BODY_BYTES) throw new ApiError(413, 'payload_too_large');
      const raw: unknown = (req as Request & { body?: unknown }).body ?? {};
      const parsed = schema.safeParse(typeof raw === 'string' || Buffer.isBuffer(raw) ? null : raw);
      if (!parsed.success) throw new ApiError(400, 'invalid_body');
      return parsed.data;
    },
    write: (user) => consume(writes, `${user.tenantId}:${user.objectId}`),
    localeOf: (req, explicit) => explicit ?? resolveLocale(req.header('accept-language')?.split(',')[0]),
    correlation: () => randomBytes(8).toString('hex'),
    handle: (f) => async (req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      try {
        // Issue 15: like a bot turn, a request reads each user's security info once (re-read behind its writes).
        await (deps.state.withUserReads ? deps.state.withUserReads(() => f(req, res)) : f(req, res));
      } catch (e) {
        if (e instanceof ApiError) return void res.send(e.status, { error: e.code, ...e.extra });
        if (isSsprError(e) && (e.code === 'state_unavailable' || e.code === 'lock_timeout')) return void res.send(503, { error: 'temporarily_unavailable' });
        const incident = randomBytes(4).toString('hex');
        logger.error({ incident, errorCode: isSsprError(e) ? e.code : 'internal', route: req.getRoute()?.path }, 'pages api failed');
        res.send(500, { error: 'internal', incident });
      }
    },
  };
}
