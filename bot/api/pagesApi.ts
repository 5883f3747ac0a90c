import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { extname, join, resolve, sep } from 'node:path';
import type { ConversationReference } from 'botbuilder';
import type { Redis } from 'ioredis';
import type { Request, Response, Server } from 'restify';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Services } from '../services';
import type { TeamsSender } from '../teamsSender';
import { catalogKeys, resolveLocale, t, type Locale } from '../../locales';
import { isSsprError } from '../../domain/errors';
import type { UserRef } from '../../domain/model/user';
import type { ConversationRefStore } from '../../domain/ports/conversationRefs';
import { checkPassword, passwordReasonKey, passwordRules, type StrengthEstimator } from '../../domain/policy/passwordPolicy';
import { needsReconfirmation, removalWouldBreakReset } from '../../domain/methods/methodPolicy';
import { securityInfoUseCases } from '../securityInfoJourney';
import { responseFor } from '../../domain/securityInfo/stepUpProof';
import { loadCommonPasswords } from '../../adapters/password/commonPasswordList';
import { createZxcvbnStrength } from '../../adapters/password/zxcvbnStrength';
import { bearerToken, SsoTokenValidator } from '../auth/ssoToken';
import { MemoryEnrolmentTickets, RedisEnrolmentTickets, type EnrolmentTickets } from './enrolmentTickets';

/** The pages served under /app/ (folders of dist/web). */
export const PAGES = ['password', 'authenticator', 'security-info', 'insights', 'shared'] as const;

/** Largest JSON body the pages API accepts (bytes): a password of 256 characters fits many times over. */
export const MAX_API_BODY_BYTES = 4096;

const TEAMS_FRAME_ANCESTORS = 'https://teams.microsoft.com https://*.teams.microsoft.com https://*.cloud.microsoft';

/** The pages' Content-Security-Policy; development adds 'self' and localhost so the dev chat overlay can frame them. */
export function pagesCsp(mode: Config['mode']): string {
  const ancestors = mode === 'development' ? `'self' http://localhost:* http://127.0.0.1:* ${TEAMS_FRAME_ANCESTORS}` : TEAMS_FRAME_ANCESTORS;
  return [
    "default-src 'self'",
    "script-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${ancestors}`,
  ].join('; ');
}

export interface PagesApiDeps {
  readonly config: Config;
  readonly services: Services;
  readonly logger: Logger;
  readonly redis: Redis | null;
  readonly refs: ConversationRefStore;
  /** Proactive outcome messages in the user's 1:1 chat. */
  readonly sender: TeamsSender;
  /** Validator override (tests pass one with a local JWKS). */
  readonly tokens?: SsoTokenValidator;
  /** Enrolment tickets override; default Redis when the app has Redis, else memory. */
  readonly enrolments?: EnrolmentTickets;
  /** dist/web; default: found next to the compiled server or under the working directory. */
  readonly webRoot?: string;
  /** Per-user requests per minute (default 60) and writes per 10 minutes (default 10). */
  readonly limits?: { readonly perMinute?: number; readonly writesPer10Minutes?: number };
}

/** What registerPagesApi gives back to the composition root (the journeys open the pages with these). */
export interface PagesApi {
  readonly enrolments: EnrolmentTickets;
  /** Absolute URL of a page, e.g. pageUrl('password', { flowId }). */
  pageUrl(page: 'password' | 'authenticator' | 'security-info', params?: Readonly<Record<string, string>>): string;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(code);
  }
}

const FlowId = z.string().regex(/^[0-9a-f]{32}$/);
const MethodId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const TicketId = z.string().regex(/^[0-9a-f]{32}$/);
const Password = z.string().min(1).max(512);
const LocaleField = z.enum(['en', 'nl']).optional();
const CheckBody = z.strictObject({ flowId: FlowId, password: Password, locale: LocaleField });
const SubmitBody = z.strictObject({ password: Password, confirmation: Password.optional(), locale: LocaleField });
const CodeBody = z.strictObject({ code: z.string().regex(/^[0-9 ]{6,8}$/), locale: LocaleField });
const EmptyBody = z.strictObject({ locale: LocaleField });

/** A route parameter as a string (restify types params as any). */
function routeParam(req: Request, name: string): unknown {
  return (req.params as Record<string, unknown> | undefined)?.[name];
}

export function findPagesRoot(): string | undefined {
  const candidates = [resolve(__dirname, '..', '..', 'web'), resolve(process.cwd(), 'dist', 'web')];
  return candidates.find((dir) => existsSync(join(dir, 'password', 'main.js')));
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * The pages inside Teams (`/app/<page>/`) and the API they call (`/api/…`): Teams SSO token (or, in development
 * only, `X-Dev-User: <tenantId>:<objectId>`), zod-validated bounded bodies, per-user rate limits, R20 audit events for
 * every change, JSON errors `{ error: '<stable_code>' }`, and 503 `temporarily_unavailable` when Redis is down (R22).
 * Passwords, codes and tokens are never logged, stored or echoed.
 */
export function registerPagesApi(server: Server, deps: PagesApiDeps): PagesApi {
  const { config, services, logger } = deps;
  const dev = config.mode === 'development';
  const csp = pagesCsp(config.mode);
  const tokens =
    deps.tokens ??
    (config.teams.ssoAppId
      ? new SsoTokenValidator({
          ssoAppId: config.teams.ssoAppId,
          publicBaseUrl: config.publicBaseUrl,
          allowedTenants: config.bot.allowedTenants,
          jwksUrl: config.teams.jwksUrl,
          allowedClientIds: config.ssoAllowedClientIds,
        })
      : undefined);
  const enrolments =
    deps.enrolments ?? (deps.redis ? new RedisEnrolmentTickets(deps.redis, config.redis.prefix) : new MemoryEnrolmentTickets(() => services.clock.now()));
  const limiter = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract =>
    deps.redis
      ? new RateLimiterRedis({ storeClient: deps.redis, keyPrefix: `${config.redis.prefix}rl:${keyPrefix}`, points, duration })
      : new RateLimiterMemory({ keyPrefix, points, duration });
  const perUser = limiter('pages', deps.limits?.perMinute ?? 60, 60);
  const writes = limiter('pages-write', deps.limits?.writesPer10Minutes ?? 10, 600);
  const perIp = limiter('pages-ip', 300, 60);

  let checker: Promise<{ common: ReadonlySet<string>; strength: StrengthEstimator }> | undefined;
  const passwordTools = (): Promise<{ common: ReadonlySet<string>; strength: StrengthEstimator }> =>
    (checker ??= loadCommonPasswords().then((common) => ({ common, strength: createZxcvbnStrength() })));

  const consume = async (l: RateLimiterAbstract, key: string): Promise<void> => {
    try {
      await l.consume(key);
    } catch (e) {
      if (e instanceof RateLimiterRes) throw new ApiError(429, 'rate_limited', {}, );
      throw new ApiError(503, 'temporarily_unavailable');
    }
  };

  /** Who calls: the SSO token's user, or the development identity (development mode only). */
  const identify = async (req: Request): Promise<UserRef> => {
    await consume(perIp, req.socket.remoteAddress ?? 'unknown');
    const devHeader = req.header('x-dev-user');
    let user: UserRef | undefined;
    if (devHeader) {
      if (!dev) throw new ApiError(401, 'unauthorized');
      const m = /^([0-9a-f-]{36}):([0-9a-f-]{36})$/i.exec(devHeader.trim());
      if (!m?.[1] || !m[2]) throw new ApiError(401, 'unauthorized');
      user = { tenantId: m[1].toLowerCase(), objectId: m[2].toLowerCase() };
    } else {
      const r = tokens ? await tokens.validate(bearerToken(req.header('authorization'))) : ({ ok: false, reason: 'missing' } as const);
      if (!r.ok) {
        logger.info({ reason: r.reason, route: req.getRoute()?.path }, 'pages api: token refused');
        throw new ApiError(r.reason === 'keys_unavailable' ? 503 : 401, r.reason === 'keys_unavailable' ? 'temporarily_unavailable' : 'unauthorized');
      }
      user = r.value.user;
    }
    await consume(perUser, `${user.tenantId}:${user.objectId}`);
    return user;
  };

  const body = <T>(req: Request, schema: z.ZodType<T>): T => {
    const length = Number(req.header('content-length') ?? '0');
    if (length > MAX_API_BODY_BYTES) throw new ApiError(413, 'payload_too_large');
    const raw: unknown = (req as Request & { body?: unknown }).body ?? {};
    const parsed = schema.safeParse(typeof raw === 'string' || Buffer.isBuffer(raw) ? null : raw);
    if (!parsed.success) throw new ApiError(400, 'invalid_body');
    return parsed.data;
  };

  const localeOf = (req: Request, explicit?: Locale): Locale => explicit ?? resolveLocale(req.header('accept-language')?.split(',')[0]);
  const correlation = (): string => randomBytes(8).toString('hex');

  /** Wraps a handler: stable JSON errors, no detail; Redis down → 503 (R22). */
  const handle =
    (f: (req: Request, res: Response) => Promise<void>) =>
    async (req: Request, res: Response): Promise<void> => {
      res.setHeader('Cache-Control', 'no-store');
      try {
        await f(req, res);
      } catch (e) {
        if (e instanceof ApiError) {
          res.send(e.status, { error: e.code, ...e.extra });
          return;
        }
        if (isSsprError(e) && (e.code === 'state_unavailable' || e.code === 'lock_timeout')) {
          res.send(503, { error: 'temporarily_unavailable' });
          return;
        }
        const incident = randomBytes(4).toString('hex');
        logger.error({ incident, code: isSsprError(e) ? e.code : 'internal', route: req.getRoute()?.path }, 'pages api failed');
        res.send(500, { error: 'internal', incident });
      }
    };

  // Errors raised by restify's own body parser (malformed JSON, too large) get the same JSON shape on /api/ routes.
  server.on('restifyError', (req: Request, _res: Response, err: { statusCode?: number; toJSON?: () => unknown }, cb: () => void) => {
    const path = req.path?.() ?? '';
    if (path.startsWith('/api/') && path !== '/api/messages') {
      const status = err.statusCode ?? 500;
      const code = status === 413 ? 'payload_too_large' : status === 400 ? 'invalid_body' : status === 415 ? 'unsupported_media_type' : status === 404 ? 'not_found' : status === 405 ? 'method_not_allowed' : 'internal';
      err.toJSON = () => ({ error: code });
    }
    cb();
  });

  // ---------- static pages ----------
  const webRoot = deps.webRoot ?? findPagesRoot();
  server.get('/app/*', async (req: Request, res: Response) => {
    const rel = ((req.params as Record<string, string | undefined>)['*'] ?? '').replace(/\/$/, '/index.html') || 'index.html';
    const first = rel.split('/')[0] ?? '';
    const file = webRoot && (PAGES as readonly string[]).includes(first) && !rel.includes('\0') ? resolve(webRoot, rel.endsWith('/') ? `${rel}index.html` : rel) : undefined;
    const inside = file && webRoot ? file.startsWith(resolve(webRoot) + sep) : false;
    const content = file && inside ? await readFile(file).catch(() => undefined) : undefined;
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (!file || !content) {
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.sendRaw(404, 'Not found\n');
      return;
    }
    res.setHeader('Content-Type', CONTENT_TYPES[extname(file)] ?? 'application/octet-stream');
    res.setHeader('Cache-Control', 'no-cache');
    res.sendRaw(200, content);
  });

  // ---------- page configuration and strings (no identity needed) ----------
  const webKeys = catalogKeys('en').filter((k) => k.startsWith('web.') || k.startsWith('password.reason.') || k.startsWith('password.advice.'));
  server.get(
    '/api/pages/config',
    handle(async (req, res) => {
      const q = (req.query as Record<string, unknown> | undefined)?.locale;
      const locale = resolveLocale(typeof q === 'string' ? q : req.header('accept-language')?.split(',')[0]);
      const strings: Record<string, string> = {};
      for (const k of webKeys) strings[k] = t(locale, k);
      res.send(200, { mode: config.mode, locale, strings, ssoAppId: config.teams.ssoAppId ?? null });
    }),
  );

  // ---------- password ----------
  const userForPassword = async (user: UserRef): Promise<{ displayName: string; givenName?: string; surname?: string; userPrincipalName: string }> => {
    const d = await services.directory.findUser(user);
    if (!d) return { displayName: '', userPrincipalName: '' };
    return {
      displayName: d.displayName,
      userPrincipalName: d.userPrincipalName,
      ...(d.givenName ? { givenName: d.givenName } : {}),
      ...(d.surname ? { surname: d.surname } : {}),
    };
  };

  const evaluate = async (user: UserRef, password: string, locale: Locale, confirmation?: string) => {
    const tools = await passwordTools();
    const policy = config.policy.password;
    const capabilities = services.directory.capabilities();
    const rules = passwordRules(policy, capabilities);
    const result = checkPassword(password, {
      policy,
      capabilities,
      user: await userForPassword(user),
      commonPasswords: tools.common,
      strength: tools.strength,
      ...(confirmation === undefined ? {} : { confirmation }),
    });
    const params = { min: rules.minLength, max: rules.maxLength, recommended: rules.recommendedLength };
    return {
      ok: result.ok,
      reasons: result.reasons.map((r) => ({ id: r, text: t(locale, passwordReasonKey(r), params) })),
      advice: result.advice.map((a) => t(locale, a, params)),
      score: result.score,
    };
  };

  server.post(
    '/api/password/check',
    handle(async (req, res) => {
      const user = await identify(req);
      const b = body(req, CheckBody);
      // The flow must be the caller's own: the check is part of that flow, not an open oracle.
      const flow = await services.recovery.deps.flows.get(user, b.flowId);
      if (!flow) throw new ApiError(404, 'not_found');
      res.send(200, await evaluate(user, b.password, localeOf(req, b.locale)));
    }),
  );

  server.post(
    '/api/flows/:flowId/password',
    handle(async (req, res) => {
      const user = await identify(req);
      const flowId = FlowId.safeParse(routeParam(req, 'flowId'));
      if (!flowId.success) throw new ApiError(404, 'not_found');
      const b = body(req, SubmitBody);
      await consume(writes, `${user.tenantId}:${user.objectId}`);
      const locale = localeOf(req, b.locale);
      const flow = await services.recovery.deps.flows.get(user, flowId.data);
      if (!flow || flow.goal !== 'reset') throw new ApiError(404, 'not_found');
      const checked = await evaluate(user, b.password, locale, b.confirmation);
      if (!checked.ok) throw new ApiError(422, 'password_rejected', { reasons: checked.reasons });
      const correlationId = correlation();
      const r = await services.recovery.reset.execute({
        user,
        conversationId: flow.conversationId,
        flowId: flow.flowId,
        newPassword: b.password,
        correlationId,
      });
      if (r.ok) {
        await tellChat(user, locale, 'web.password.chat.done');
        res.send(200, { status: 'done' });
        return;
      }
      switch (r.reason) {
        case 'pending':
          res.send(202, { status: 'pending' });
          return;
        case 'in_progress':
          throw new ApiError(409, 'in_progress');
        case 'password_policy':
        case 'password_history':
        case 'password_too_short':
        case 'password_too_long':
        case 'password_complexity':
        case 'password_min_age':
          throw new ApiError(422, 'password_refused_by_directory', { detail: t(locale, 'web.password.refusedByDirectory') });
        case 'directory_denied':
          // The directory may not reset this account (insufficient access): only the helpdesk can help.
          throw new ApiError(403, 'directory_denied', { detail: t(locale, 'recovery.directoryDenied', { contact: config.policy.helpdesk.contactText[locale] }) });
        case 'daily_cap':
          throw new ApiError(429, 'daily_cap');
        case 'account_unavailable':
          throw new ApiError(403, 'forbidden');
        default:
          // no_grant, expired, consumed, wrong_conversation, not_applied: verify again in the chat.
          throw new ApiError(409, 'grant_unavailable');
      }
    }),
  );

  const tellChat = async (user: UserRef, locale: Locale, key: string): Promise<void> => {
    const ref = (await deps.refs.get(user).catch(() => null)) as Partial<ConversationReference> | null;
    const r = await deps.sender.send(ref, t(resolveLocale(ref?.locale ?? locale), key));
    if (!r.ok) logger.warn({ reason: r.reason, status: r.status }, 'pages api: chat outcome not delivered');
  };

  // ---------- authenticator enrolment ----------
  server.get(
    '/api/enrolments/:ticket',
    handle(async (req, res) => {
      const user = await identify(req);
      const ticket = TicketId.safeParse(routeParam(req, 'ticket'));
      if (!ticket.success) throw new ApiError(404, 'not_found');
      const methodId = await enrolments.claimDisplay(user, ticket.data);
      if (!methodId) throw new ApiError(404, 'not_found');
      const entry = await services.security.methods.get(user, methodId);
      const secret = entry?.secrets.totpSecret;
      if (!entry || entry.method.kind !== 'authenticatorApp' || entry.method.confirmedAt !== null || !secret) throw new ApiError(404, 'not_found');
      const account = (await services.directory.findUser(user))?.userPrincipalName ?? user.objectId;
      const uri = services.security.totpEngine.keyUri(account, config.policy.password.organisationName, secret);
      const qr = await services.security.totpEngine.qrDataUri(uri);
      await services.audit.record({ type: 'method.enrol.shown', correlationId: correlation(), user, methodKind: 'authenticatorApp', outcome: 'info' });
      res.send(200, { qrDataUri: qr, key: secret.match(/.{1,4}/g)?.join(' ') ?? secret, account });
    }),
  );

  server.post(
    '/api/enrolments/:ticket/confirm',
    handle(async (req, res) => {
      const user = await identify(req);
      const ticket = TicketId.safeParse(routeParam(req, 'ticket'));
      if (!ticket.success) throw new ApiError(404, 'not_found');
      const b = body(req, CodeBody);
      await consume(writes, `${user.tenantId}:${user.objectId}`);
      const methodId = await enrolments.methodOf(user, ticket.data);
      if (!methodId) throw new ApiError(404, 'not_found');
      const correlationId = correlation();
      const r = await services.security.totp.verify(user, methodId, b.code.replace(/\s/g, ''), correlationId);
      if (!r.ok) throw new ApiError(r.reason === 'no_method' ? 404 : 422, r.reason === 'no_method' ? 'not_found' : 'code_invalid');
      await enrolments.remove(user, ticket.data);
      if (r.value.activated) await services.recovery.deps.notifications.notify(user, 'methods_changed', correlationId);
      res.send(200, { status: 'confirmed' });
    }),
  );

  // ---------- security info tab ----------
  server.get(
    '/api/methods',
    handle(async (req, res) => {
      const user = await identify(req);
      const now = services.clock.now();
      const methods = await services.security.methods.list(user);
      res.send(200, {
        methods: methods.map((m) => ({
          id: m.id,
          kind: m.kind,
          ...(m.maskedDestination ? { maskedDestination: m.maskedDestination } : {}),
          confirmed: m.confirmedAt !== null,
          needsReconfirmation: needsReconfirmation(m, config.policy, now),
          removalBreaksReset: removalWouldBreakReset(methods, m.id, config.policy),
          canReconfirm: m.kind === 'authenticatorApp' || m.channels.length > 0,
        })),
      });
    }),
  );

  // The tab calls the same use-cases as the chat (rule 16): the step-up is the user's (R31), on every surface.
  const uc = securityInfoUseCases(services);
  const changeCtx = (user: UserRef, req: Request, locale?: Locale) => ({ user, locale: localeOf(req, locale), flowId: correlation() });
  const refusal = (reason: string, retryAt?: number): ApiError => {
    const status: Record<string, number> = { unknown_method: 404, not_reconfirmable: 409, proof_required: 403, bootstrap_required: 403, helpdesk_required: 403, blocked: 423, throttled: 429, wrong: 422, malformed: 422, expired: 422, too_many_tries: 422, no_code: 422, send_failed: 502, destination_refused: 422, method_unavailable: 409 };
    const code: Record<string, string> = { unknown_method: 'not_found', proof_required: 'step_up_required', wrong: 'code_invalid', malformed: 'code_invalid' };
    return new ApiError(status[reason] ?? 409, code[reason] ?? reason, retryAt === undefined ? {} : { retryAt: new Date(retryAt).toISOString() });
  };

  // R31 step-up from the tab: the same StepUpProof as the chat; a success holds for this user on every surface.
  const ChoiceId = z.string().regex(/^[A-Za-z0-9_~-]{1,80}$/);
  server.get(
    '/api/stepup',
    handle(async (req, res) => {
      const user = await identify(req);
      const needed = await uc.stepUp.needed({ user });
      const choices = (await uc.stepUp.choices({ user })).map((m) => ({ id: m.id, kind: m.kind, ...(m.maskedDestination ? { maskedDestination: m.maskedDestination } : {}) }));
      res.send(200, { needed, choices });
    }),
  );

  server.post(
    '/api/stepup/:choice',
    handle(async (req, res) => {
      const user = await identify(req);
      const choice = ChoiceId.safeParse(routeParam(req, 'choice'));
      if (!choice.success) throw new ApiError(404, 'not_found');
      const b = body(req, EmptyBody);
      await consume(writes, `${user.tenantId}:${user.objectId}`);
      const r = await uc.stepUp.challenge(changeCtx(user, req, b.locale), choice.data);
      if (!r.ok) throw refusal(r.reason, r.retryAt);
      res.send(200, r.value.kind === 'code_sent' ? { status: 'code_sent', maskedDestination: r.value.maskedDestination } : { status: 'enter_code' });
    }),
  );

  server.post(
    '/api/stepup/:choice/check',
    handle(async (req, res) => {
      const user = await identify(req);
      const choice = ChoiceId.safeParse(routeParam(req, 'choice'));
      if (!choice.success) throw new ApiError(404, 'not_found');
      const b = body(req, CodeBody);
      await consume(writes, `${user.tenantId}:${user.objectId}`);
      const method = (await uc.stepUp.choices({ user })).find((m) => m.id === choice.data);
      if (!method) throw new ApiError(404, 'not_found');
      const r = await uc.stepUp.prove(changeCtx(user, req, b.locale), choice.data, responseFor(method.kind, b.code));
      if (!r.ok) throw refusal(r.reason, r.retryAt);
      res.send(200, { status: 'proven' });
    }),
  );

  server.del(
    '/api/methods/:id',
    handle(async (req, res) => {
      const user = await identify(req);
      const id = MethodId.safeParse(routeParam(req, 'id'));
      if (!id.success) throw new ApiError(404, 'not_found');
      await consume(writes, `${user.tenantId}:${user.objectId}`);
      const r = await uc.remove.run(changeCtx(user, req), id.data);
      if (!r.ok) throw refusal(r.reason);
      res.send(200, { status: 'removed' });
    }),
  );

  server.post(
    '/api/methods/:id/reconfirm',
    handle(async (req, res) => {
      const user = await identify(req);
      const id = MethodId.safeParse(routeParam(req, 'id'));
      if (!id.success) throw new ApiError(404, 'not_found');
      const b = body(req, EmptyBody);
      await consume(writes, `${user.tenantId}:${user.objectId}`);
      const r = await uc.reconfirm.start(changeCtx(user, req, b.locale), id.data);
      if (!r.ok) throw refusal(r.reason, r.retryAt);
      if (r.value.kind === 'code_sent') {
        const channel = r.value.methodKind === 'email' ? 'email' : r.value.methodKind === 'officePhone' ? 'voice' : 'sms';
        res.send(200, { status: 'enter_code', channel, maskedDestination: r.value.maskedDestination });
        return;
      }
      res.send(200, { status: 'enter_code', channel: 'app' });
    }),
  );

  server.post(
    '/api/methods/:id/reconfirm/check',
    handle(async (req, res) => {
      const user = await identify(req);
      const id = MethodId.safeParse(routeParam(req, 'id'));
      if (!id.success) throw new ApiError(404, 'not_found');
      const b = body(req, CodeBody);
      await consume(writes, `${user.tenantId}:${user.objectId}`);
      const r = await uc.reconfirm.check(changeCtx(user, req, b.locale), id.data, b.code);
      if (!r.ok) throw refusal(r.reason, r.retryAt);
      res.send(200, { status: 'confirmed' });
    }),
  );

  return { enrolments, pageUrl: (page, params) => pageUrlFor(config.publicBaseUrl, page, params) };
}

/** Absolute URL of a page under the public base URL, e.g. `https://sspr.contoso.com/app/password/?flowId=…`. */
export function pageUrlFor(baseUrl: string, page: 'password' | 'authenticator' | 'security-info', params: Readonly<Record<string, string>> = {}): string {
  const qs = new URLSearchParams(params).toString();
  return `${baseUrl.replace(/\/+$/, '')}/app/${page}/${qs ? `?${qs}` : ''}`;
}
