import { createHash, randomBytes } from 'node:crypto';
import type { StateBackend } from '../state/stateBackend';
import type { Request, Response, Server } from 'restify';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Helpdesk } from '../helpdesk/createHelpdesk';
import { isSsprError } from '../../domain/errors';
import type { Handoff } from '../../domain/helpdesk/handoff';
import { ApiKeys, parseApiKeyHeader, type ApiKeyStore, type ApiScope, type AuthRefusal } from '../../domain/helpdesk/apiKeys';
import type { CreateRefusal } from '../../domain/helpdesk/helpdeskHandoffs';
import type { AuditLog } from '../../domain/ports/auditLog';
import type { Clock, RandomSource } from '../../domain/ports/clock';
import { HmacApiKeyHasher } from '../../adapters/helpdesk/apiKeyStores';
import type { IdempotencyStore } from '../../adapters/helpdesk/idempotencyStore';

/** Largest JSON body the ITSM API accepts (bytes). */
export const MAX_HELPDESK_BODY_BYTES = 2048;
const ROUTE = '/api/helpdesk/handoffs';

/** The API keys of this deployment on the state backend's key store (Redis, else the JSON file; the CLI uses the same). */
export function createApiKeys(config: Config, store: ApiKeyStore, clock: Clock, random: RandomSource): ApiKeys {
  return new ApiKeys({
    store,
    hasher: new HmacApiKeyHasher(config.keys.codeHmac),
    clock,
    random,
  });
}

export interface HelpdeskApiDeps {
  readonly config: Config;
  readonly logger: Logger;
  /** Key store, idempotency records and rate limiters (rule 17: the state backend's). */
  readonly state: Pick<StateBackend, 'apiKeys' | 'idempotency' | 'limiter'>;
  readonly helpdesk: Helpdesk;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** Override (tests); default createApiKeys(…). */
  readonly keys?: ApiKeys;
  /** Requests per minute per API key (default 60); failed authentications per minute per address (default 30). */
  readonly limits?: { readonly perKeyPerMinute?: number; readonly authFailuresPerMinute?: number };
}

const Upn = z.string().trim().min(3).max(256).regex(/^[^\s@<>]+@[^\s@<>]+$/);
const CreateBody = z.strictObject({
  user: Upn,
  purpose: z.enum(['reset', 'unlock', 'register']),
  ticket: z
    .string()
    .regex(/^[A-Za-z0-9#._\-/]{1,40}$/)
    .optional(),
  agent: Upn,
});
const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{8,128}$/);
const HandoffId = z.string().regex(/^[0-9a-f]{32}$/);

/** One answer of the API: status, JSON body, and what the audit event should say about it. */
interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly keyId?: string;
  readonly handoffId?: string;
}

const AUTH_ANSWERS: Readonly<Record<AuthRefusal, { status: number; code: string }>> = {
  missing: { status: 401, code: 'missing_api_key' },
  malformed: { status: 401, code: 'invalid_api_key' },
  unknown: { status: 401, code: 'invalid_api_key' },
  bad_secret: { status: 401, code: 'invalid_api_key' },
  revoked: { status: 401, code: 'revoked_api_key' },
  scope: { status: 403, code: 'insufficient_scope' },
};

const CREATE_REFUSALS: Readonly<Record<CreateRefusal, { status: number; code: string }>> = {
  not_agent: { status: 403, code: 'agent_not_allowed' },
  unknown_user: { status: 404, code: 'unknown_user' },
  self: { status: 422, code: 'self_handoff' },
  privileged: { status: 422, code: 'privileged_user' },
};

const err = (status: number, code: string, extra: Partial<Answer> = {}): Answer => ({ status, body: { error: code }, ...extra });

/** What a ticketing system may see of a hand-off: statuses, kinds and times — never a token, code or destination. */
export function handoffView(h: Handoff): Record<string, unknown> {
  return {
    id: h.id,
    purpose: h.purpose,
    status: h.status,
    ...(h.reason ? { reason: h.reason } : {}),
    ...(h.ticket ? { ticket: h.ticket } : {}),
    methodKinds: h.methodKinds,
    createdAt: new Date(h.createdAt).toISOString(),
    expiresAt: new Date(h.expiresAt).toISOString(),
    updatedAt: new Date(h.updatedAt).toISOString(),
    history: h.history.map((e) => ({ status: e.status, at: new Date(e.at).toISOString(), ...(e.reason ? { reason: e.reason } : {}) })),
  };
}

/** Canonical JSON (sorted keys) so that the same body in another key order is the same request. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * The ITSM API (issue 6): `POST /api/helpdesk/handoffs` and `GET /api/helpdesk/handoffs/:id` with
 * `Authorization: ApiKey <id>.<secret>` (scoped, revocable, stored as keyed hashes), a required `Idempotency-Key` on
 * POST, per-key rate limits, bounded strict JSON bodies, JSON errors with stable codes, and an audit event for every
 * call (R20). A created hand-off proceeds exactly like one from Teams: proactive offer, status to the webhook.
 */
export function registerHelpdeskApi(server: Server, deps: HelpdeskApiDeps): { readonly keys: ApiKeys } {
  const { config, logger, helpdesk } = deps;
  const keys = deps.keys ?? createApiKeys(config, deps.state.apiKeys, deps.clock, deps.random);
  const idem: IdempotencyStore = deps.state.idempotency;
  const limiter = (name: string, points: number): RateLimiterAbstract => deps.state.limiter(name, points, 60);
  const perKey = limiter('helpdesk-api', deps.limits?.perKeyPerMinute ?? 60);
  const authFailures = limiter('helpdesk-api-authfail', deps.limits?.authFailuresPerMinute ?? 30);

  const audit = async (req: Request, correlationId: string, a: Answer): Promise<void> => {
    const code = typeof a.body.error === 'string' ? a.body.error : undefined;
    await deps.audit
      .record({
        type: 'helpdesk.api_call',
        correlationId,
        outcome: a.status < 300 ? 'success' : a.status >= 500 ? 'failure' : 'refused',
        ...(code ? { reason: code } : {}),
        detail: {
          method: req.method ?? '',
          route: req.getRoute()?.path?.toString() ?? ROUTE,
          status: a.status,
          ...(a.keyId ? { key: a.keyId } : {}),
          ...(a.handoffId ? { handoff: a.handoffId } : {}),
        },
      })
      .catch((e: unknown) => logger.error({ err: { name: (e as Error)?.name }, correlationId }, 'helpdesk api: audit failed'));
  };

  /** Authenticate for a scope and charge the key's rate limit; an Answer when refused. */
  const authorize = async (req: Request, scope: ApiScope): Promise<{ keyId: string } | Answer> => {
    const ip = req.socket.remoteAddress ?? 'unknown';
    const blocked = await authFailures.get(ip);
    if (blocked && blocked.remainingPoints <= 0) return err(429, 'rate_limited', { headers: { 'Retry-After': String(Math.ceil(blocked.msBeforeNext / 1000)) } });
    const r = await keys.authenticate(req.header('authorization'), scope);
    if (!r.ok) {
      if (r.reason !== 'scope') await authFailures.consume(ip).catch(() => undefined);
      const a = AUTH_ANSWERS[r.reason];
      return err(a.status, a.code, {
        ...(r.keyId ? { keyId: r.keyId } : {}),
        ...(a.status === 401 ? { headers: { 'WWW-Authenticate': 'ApiKey' } } : {}),
      });
    }
    try {
      await perKey.consume(r.value.keyId);
    } catch (e) {
      if (e instanceof RateLimiterRes) return err(429, 'rate_limited', { keyId: r.value.keyId, headers: { 'Retry-After': String(Math.ceil(e.msBeforeNext / 1000)) } });
      throw e;
    }
    return { keyId: r.value.keyId };
  };

  const handle =
    (f: (req: Request, correlationId: string) => Promise<Answer>) =>
    async (req: Request, res: Response): Promise<void> => {
      const correlationId = randomBytes(8).toString('hex');
      let a: Answer;
      try {
        a = await f(req, correlationId);
      } catch (e) {
        if (isSsprError(e) && (e.code === 'state_unavailable' || e.code === 'lock_timeout')) a = err(503, 'temporarily_unavailable');
        else {
          logger.error({ incident: correlationId, code: isSsprError(e) ? e.code : 'internal', route: ROUTE }, 'helpdesk api failed');
          a = err(500, 'internal', { body: { error: 'internal', incident: correlationId } });
        }
      }
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Correlation-Id', correlationId);
      for (const [k, v] of Object.entries(a.headers ?? {})) res.setHeader(k, v);
      res.send(a.status, a.body);
      await audit(req, correlationId, a);
    };

  server.post(
    ROUTE,
    handle(async (req, correlationId) => {
      const who = await authorize(req, 'handoffs:write');
      if ('status' in who) return who;
      const keyId = who.keyId;
      const raw: unknown = (req as { rawBody?: unknown }).rawBody;
      const size = Math.max(Number(req.header('content-length') ?? '0') || 0, typeof raw === 'string' || Buffer.isBuffer(raw) ? Buffer.byteLength(raw) : 0);
      if (size > MAX_HELPDESK_BODY_BYTES) return err(413, 'payload_too_large', { keyId });
      const idemHeader = req.header('idempotency-key');
      if (!idemHeader) return err(400, 'idempotency_key_required', { keyId });
      const idemKey = IdempotencyKey.safeParse(idemHeader);
      if (!idemKey.success) return err(400, 'invalid_idempotency_key', { keyId });
      const body: unknown = (req as Request & { body?: unknown }).body;
      const parsed = CreateBody.safeParse(typeof body === 'object' && body !== null && !Buffer.isBuffer(body) ? body : null);
      if (!parsed.success) return err(400, 'invalid_body', { keyId, body: { error: 'invalid_body', fields: [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(body)'))] } });

      const bodyHash = createHash('sha256').update(canonical(parsed.data)).digest('base64url');
      const begun = await idem.begin(keyId, idemKey.data, bodyHash);
      if (begun.kind === 'mismatch') return err(409, 'idempotency_key_reused', { keyId });
      if (begun.kind === 'in_progress') return err(409, 'idempotency_in_progress', { keyId, headers: { 'Retry-After': '1' } });
      if (begun.kind === 'replay') {
        const body = begun.answer.body as Record<string, unknown>;
        return { status: begun.answer.status, body, keyId, headers: { 'Idempotent-Replayed': 'true' }, ...(typeof body.id === 'string' ? { handoffId: body.id } : {}) };
      }
      try {
        const b = parsed.data;
        const created = await helpdesk.handoffs.createForApi({
          keyId,
          agentName: b.agent,
          targetName: b.user,
          purpose: b.purpose,
          ...(b.ticket ? { ticket: b.ticket } : {}),
          correlationId,
        });
        let answer: Answer;
        if (!created.ok) {
          const r = CREATE_REFUSALS[created.reason];
          answer = err(r.status, r.code, { keyId });
        } else {
          const { handoff, token } = created.value;
          helpdesk.bot.dispatch(handoff.id, token, correlationId);
          answer = { status: 201, body: handoffView(handoff), keyId, handoffId: handoff.id, headers: { Location: `${ROUTE}/${handoff.id}` } };
        }
        await idem.finish(keyId, idemKey.data, bodyHash, { status: answer.status, body: answer.body });
        return answer;
      } catch (e) {
        await idem.abandon(keyId, idemKey.data).catch(() => undefined);
        throw e;
      }
    }),
  );

  server.get(
    `${ROUTE}/:id`,
    handle(async (req) => {
      const who = await authorize(req, 'handoffs:read');
      if ('status' in who) return who;
      const id = HandoffId.safeParse((req.params as Record<string, unknown> | undefined)?.id);
      if (!id.success) return err(404, 'not_found', { keyId: who.keyId });
      const h = await helpdesk.handoffs.get(id.data);
      // Bound to the key that created it (R21): other keys and Teams hand-offs look like unknown ids.
      if (!h || h.agent.kind !== 'api' || h.agent.keyId !== who.keyId) return err(404, 'not_found', { keyId: who.keyId });
      return { status: 200, body: handoffView(h), keyId: who.keyId, handoffId: h.id };
    }),
  );

  // Body-parser refusals (malformed JSON, too large) on this API are audited like any other call. restify hands
  // every listener the same completion callback, which must run once: when another listener (the pages API's) is
  // already registered, it completes the event and this one only shapes the JSON and audits.
  const completes = server.listenerCount('restifyError') === 0;
  server.on('restifyError', (req: Request, _res: Response, e: { statusCode?: number; toJSON?: () => unknown }, cb: () => void) => {
    const path = req.path?.() ?? '';
    if (!path.startsWith(ROUTE)) {
      if (completes) cb();
      return;
    }
    const status = e.statusCode ?? 500;
    const code = status === 413 ? 'payload_too_large' : status === 400 ? 'invalid_body' : status === 404 ? 'not_found' : status === 405 ? 'method_not_allowed' : 'internal';
    e.toJSON = () => ({ error: code });
    const parsed = parseApiKeyHeader(req.header('authorization'));
    const done = audit(req, randomBytes(8).toString('hex'), err(status, code, typeof parsed === 'object' ? { keyId: parsed.id } : {}));
    if (completes) done.then(cb, cb);
  });

  return { keys };
}
