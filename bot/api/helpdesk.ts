import { createHash } from 'node:crypto';
import type { Request, Server } from 'restify';
import { z } from 'zod';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Helpdesk } from '../helpdesk/createHelpdesk';
import { ApiKeys, type ApiKeyStore } from '../../domain/helpdesk/apiKeys';
import { ApiKeyGate, handoffView, ItsmHandoffs } from '../../domain/helpdesk/itsmApi';
import type { AuditLog } from '../../domain/ports/auditLog';
import type { Clock, RandomSource } from '../../domain/ports/clock';
import { HmacApiKeyHasher } from '../../adapters/helpdesk/apiKeyStores';
import { LimiterRateCounter } from '../../adapters/helpdesk/rateCounters';
import type { StateBackend } from '../state/stateBackend';
import { answerKit, auditParserRefusals, err, refused } from './helpdeskAnswers';
import { requestClient } from './trustedProxy';

export { handoffView } from '../../domain/helpdesk/itsmApi';

/** Largest JSON body the ITSM API accepts (bytes). */
export const MAX_HELPDESK_BODY_BYTES = 2048;
const ROUTE = '/api/helpdesk/handoffs';

/** The API keys of this deployment on the state backend's key store (Redis, else the JSON file; the CLI uses the same). */
export function createApiKeys(config: Config, store: ApiKeyStore, clock: Clock, random: RandomSource): ApiKeys {
  return new ApiKeys({ store, hasher: new HmacApiKeyHasher(config.keys.codeHmac), clock, random });
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
  /** Requests per minute per API key (default 60); failed authentications per minute per client address (default 30). */
  readonly limits?: { readonly perKeyPerMinute?: number; readonly authFailuresPerMinute?: number };
}

const Upn = z
  .string()
  .trim()
  .min(3)
  .max(256)
  .regex(/^[^\s@<>]+@[^\s@<>]+$/);
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

/**
 * The ITSM API (issue 6): `POST /api/helpdesk/handoffs` and `GET /api/helpdesk/handoffs/:id` with
 * `Authorization: ApiKey <id>.<secret>`. The rules — key, scope, rate limit, lockout per client address (R33),
 * idempotency, which key reads which hand-off (R21) — are domain/helpdesk/itsmApi.ts; this file parses, calls and
 * maps. Every call is audited (R20).
 */
export function registerHelpdeskApi(server: Server, deps: HelpdeskApiDeps): { readonly keys: ApiKeys } {
  const { config, logger, helpdesk } = deps;
  const keys = deps.keys ?? createApiKeys(config, deps.state.apiKeys, deps.clock, deps.random);
  const counter = (name: string, points: number) =>
    new LimiterRateCounter(deps.state.limiter(name, points, 60), points);
  const gate = new ApiKeyGate({
    keys,
    perKey: counter('helpdesk-api', deps.limits?.perKeyPerMinute ?? 60),
    failures: counter('helpdesk-api-authfail', deps.limits?.authFailuresPerMinute ?? 30),
  });
  const idempotency = deps.state.idempotency;
  const digest = (s: string) => createHash('sha256').update(s).digest('base64url');
  const handoffs = new ItsmHandoffs({
    handoffs: helpdesk.handoffs,
    idempotency,
    digest,
    offer: (id, token, c) => helpdesk.bot.dispatch(id, token, c),
  });
  const client = requestClient(config.proxy);

  const { audit, handle } = answerKit(deps.audit, logger, ROUTE);

  server.post(
    ROUTE,
    handle(async (req, correlationId) => {
      const who = await gate.authorize(req.header('authorization'), 'handoffs:write', client(req));
      if (!who.ok) return refused(who);
      const keyId = who.keyId;
      const raw: unknown = (req as { rawBody?: unknown }).rawBody;
      const size = Math.max(
        Number(req.header('content-length') ?? '0') || 0,
        typeof raw === 'string' || Buffer.isBuffer(raw) ? Buffer.byteLength(raw) : 0,
      );
      if (size > MAX_HELPDESK_BODY_BYTES) return err(413, 'payload_too_large', { keyId });
      const idemHeader = req.header('idempotency-key');
      if (!idemHeader) return err(400, 'idempotency_key_required', { keyId });
      const idemKey = IdempotencyKey.safeParse(idemHeader);
      if (!idemKey.success) return err(400, 'invalid_idempotency_key', { keyId });
      const body: unknown = (req as Request & { body?: unknown }).body;
      const parsed = CreateBody.safeParse(
        typeof body === 'object' && body !== null && !Buffer.isBuffer(body) ? body : null,
      );
      if (!parsed.success)
        return err(400, 'invalid_body', {
          keyId,
          body: {
            error: 'invalid_body',
            fields: [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(body)'))],
          },
        });
      const r = await handoffs.create(keyId, idemKey.data, parsed.data, correlationId);
      if (!r.ok) return refused(r);
      const { status, body: out, replayed, handoffId } = r.value;
      const headers: Record<string, string> | undefined = replayed
        ? { 'Idempotent-Replayed': 'true' }
        : handoffId
          ? { Location: `${ROUTE}/${handoffId}` }
          : undefined;
      return { status, body: out, keyId, ...(headers ? { headers } : {}), ...(handoffId ? { handoffId } : {}) };
    }),
  );

  server.get(
    `${ROUTE}/:id`,
    handle(async (req) => {
      const who = await gate.authorize(req.header('authorization'), 'handoffs:read', client(req));
      if (!who.ok) return refused(who);
      const id = HandoffId.safeParse((req.params as Record<string, unknown> | undefined)?.id);
      if (!id.success) return err(404, 'not_found', { keyId: who.keyId });
      const r = await handoffs.get(who.keyId, id.data);
      return r.ok ? { status: 200, body: handoffView(r.value), keyId: who.keyId, handoffId: r.value.id } : refused(r);
    }),
  );

  auditParserRefusals(server, ROUTE, audit);

  return { keys };
}
