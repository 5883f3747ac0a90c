import type { IdempotencyStore } from '../ports/idempotency';
import type { RateCounter } from '../ports/rateCounter';
import type { ApiKeys, ApiScope } from './apiKeys';
import { lockoutSubject } from './clientAddress';
import type { Handoff } from './handoff';
import type { CreateRefusal, HelpdeskHandoffs } from './helpdeskHandoffs';

/**
 * The ITSM API's rules (issue 6, R21, R33), once, for the route to call: who may call (API key, scope, rate limit,
 * the lockout of failed authentications), the idempotent creation of a hand-off, and which hand-off a key may read.
 * The route only parses the HTTP request and maps a refusal to its status through one table.
 */

/** Stable error codes of the API (the route maps each to one HTTP status). */
export type ApiRefusal =
  | 'missing_api_key'
  | 'invalid_api_key'
  | 'revoked_api_key'
  | 'insufficient_scope'
  | 'rate_limited'
  | 'agent_not_allowed'
  | 'unknown_user'
  | 'self_handoff'
  | 'idempotency_key_reused'
  | 'idempotency_in_progress'
  | 'not_found';

export type ApiOutcome<T> =
  | { readonly ok: true; readonly value: T; readonly keyId: string }
  | {
      readonly ok: false;
      readonly reason: ApiRefusal;
      readonly keyId?: string;
      readonly retryAfterMs?: number;
      readonly replayed?: boolean;
    };

const AUTH_REFUSALS = {
  missing: 'missing_api_key',
  malformed: 'invalid_api_key',
  unknown: 'invalid_api_key',
  bad_secret: 'invalid_api_key',
  revoked: 'revoked_api_key',
  scope: 'insufficient_scope',
} as const;

const CREATE_REFUSALS: Readonly<Record<CreateRefusal, ApiRefusal>> = {
  not_agent: 'agent_not_allowed',
  unknown_user: 'unknown_user',
  self: 'self_handoff',
};

export interface ApiKeyGateDeps {
  readonly keys: ApiKeys;
  /** Requests of a verified key (per key id). */
  readonly perKey: RateCounter;
  /** Failed authentications (per client address, R33). */
  readonly failures: RateCounter;
}

/**
 * R33: an API key that verifies is never refused because of failures — its own or anybody's — only by its own
 * per-key rate limit. Failed authentications (unknown, malformed, wrong secret, revoked) are counted per client
 * address; a client over the limit gets `rate_limited` for unverified requests until the window passes, so 100 bad
 * keys from one address (or from behind one proxy with one forwarded address) shut out that address's guessing, not
 * the valid key and not the other clients behind the same proxy. A missing scope is the key's own problem and is
 * not a failed authentication.
 */
export class ApiKeyGate {
  constructor(private readonly deps: ApiKeyGateDeps) {}

  async authorize(
    header: string | undefined,
    scope: ApiScope,
    client: string,
  ): Promise<ApiOutcome<{ readonly name: string }>> {
    const r = await this.deps.keys.authenticate(header, scope);
    if (r.ok) {
      const wait = await this.deps.perKey.spend(r.value.keyId);
      return wait > 0
        ? { ok: false, reason: 'rate_limited', keyId: r.value.keyId, retryAfterMs: wait }
        : { ok: true, value: { name: r.value.name }, keyId: r.value.keyId };
    }
    const keyId = r.keyId !== undefined ? { keyId: r.keyId } : {};
    if (r.reason === 'scope') return { ok: false, reason: 'insufficient_scope', ...keyId };
    const subject = `client:${lockoutSubject(client)}`;
    const locked = await this.deps.failures.peek(subject);
    if (locked > 0) return { ok: false, reason: 'rate_limited', ...keyId, retryAfterMs: locked };
    await this.deps.failures.spend(subject);
    return { ok: false, reason: AUTH_REFUSALS[r.reason], ...keyId };
  }
}

export interface CreateApiHandoff {
  readonly user: string;
  readonly purpose: 'reset' | 'unlock' | 'register';
  readonly ticket?: string;
  readonly agent: string;
}

export interface ItsmHandoffDeps {
  readonly handoffs: Pick<HelpdeskHandoffs, 'createForApi' | 'get'>;
  readonly idempotency: IdempotencyStore;
  /** One-way digest of the canonical request body (the adapter's SHA-256). */
  readonly digest: (canonicalBody: string) => string;
  /** Offer the created hand-off to the user in Teams (proactive), exactly like one from Teams. */
  readonly offer: (handoffId: string, token: string, correlationId: string) => void;
}

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
    history: h.history.map((e) => ({
      status: e.status,
      at: new Date(e.at).toISOString(),
      ...(e.reason ? { reason: e.reason } : {}),
    })),
  };
}

/** Canonical JSON (sorted keys) so that the same body in another key order is the same request. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** A created (or replayed) hand-off as the API answers it. */
export interface CreatedAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly replayed: boolean;
  readonly handoffId?: string;
}

/**
 * Hand-offs through the ITSM API: created once per `Idempotency-Key` (same key + same body → the same answer,
 * another body → `idempotency_key_reused`), and readable only by the key that created them (R21: other keys and
 * Teams hand-offs look like unknown ids).
 */
export class ItsmHandoffs {
  constructor(private readonly deps: ItsmHandoffDeps) {}

  async create(
    keyId: string,
    idempotencyKey: string,
    body: CreateApiHandoff,
    correlationId: string,
  ): Promise<ApiOutcome<CreatedAnswer>> {
    const { idempotency: idem } = this.deps;
    const bodyHash = this.deps.digest(canonicalJson(body));
    const begun = await idem.begin(keyId, idempotencyKey, bodyHash);
    if (begun.kind === 'mismatch') return { ok: false, reason: 'idempotency_key_reused', keyId };
    if (begun.kind === 'in_progress')
      return { ok: false, reason: 'idempotency_in_progress', keyId, retryAfterMs: 1000 };
    if (begun.kind === 'replay') {
      const b = begun.answer.body as Record<string, unknown>;
      // A stored refusal (status 0) replays as the same refusal.
      if (begun.answer.status === 0 && typeof b.error === 'string')
        return { ok: false, reason: b.error as ApiRefusal, keyId, replayed: true };
      return {
        ok: true,
        keyId,
        value: {
          status: begun.answer.status,
          body: b,
          replayed: true,
          ...(typeof b.id === 'string' ? { handoffId: b.id } : {}),
        },
      };
    }
    try {
      const created = await this.deps.handoffs.createForApi({
        keyId,
        agentName: body.agent,
        targetName: body.user,
        purpose: body.purpose,
        ...(body.ticket ? { ticket: body.ticket } : {}),
        correlationId,
      });
      if (!created.ok) {
        const reason = CREATE_REFUSALS[created.reason];
        // A refusal is an answer too: the same request replays it.
        await idem.finish(keyId, idempotencyKey, bodyHash, { status: 0, body: { error: reason } });
        return { ok: false, reason, keyId };
      }
      const { handoff, token } = created.value;
      this.deps.offer(handoff.id, token, correlationId);
      const view = handoffView(handoff);
      await idem.finish(keyId, idempotencyKey, bodyHash, { status: 201, body: view });
      return { ok: true, keyId, value: { status: 201, body: view, replayed: false, handoffId: handoff.id } };
    } catch (e) {
      await idem.abandon(keyId, idempotencyKey).catch(() => undefined);
      throw e;
    }
  }

  async get(keyId: string, handoffId: string): Promise<ApiOutcome<Handoff>> {
    const h = await this.deps.handoffs.get(handoffId);
    if (!h || h.agent.kind !== 'api' || h.agent.keyId !== keyId) return { ok: false, reason: 'not_found', keyId };
    return { ok: true, value: h, keyId };
  }
}
