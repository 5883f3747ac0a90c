import { randomBytes } from 'node:crypto';
import type { Request, Response, Server } from 'restify';
import { parseApiKeyHeader } from '../../domain/helpdesk/apiKeys';
import { isSsprError } from '../../domain/errors';
import type { ApiRefusal } from '../../domain/helpdesk/itsmApi';
import type { AuditLog } from '../../domain/ports/auditLog';
import type { Logger } from '../logger';

/** One answer of the API: status, JSON body, and what the audit event should say about it. */
export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly keyId?: string;
  readonly handoffId?: string;
}

/** The one table from a refusal to its HTTP status. */
export const STATUS: Readonly<Record<ApiRefusal, number>> = {
  missing_api_key: 401,
  invalid_api_key: 401,
  revoked_api_key: 401,
  insufficient_scope: 403,
  rate_limited: 429,
  agent_not_allowed: 403,
  unknown_user: 404,
  self_handoff: 422,
  idempotency_key_reused: 409,
  idempotency_in_progress: 409,
  not_found: 404,
};

export const err = (status: number, code: string, extra: Partial<Answer> = {}): Answer => ({
  status,
  body: { error: code },
  ...extra,
});
export const refused = (r: {
  reason: ApiRefusal;
  keyId?: string;
  retryAfterMs?: number;
  replayed?: boolean;
}): Answer => {
  const headers: Record<string, string> = {
    ...(STATUS[r.reason] === 401 ? { 'WWW-Authenticate': 'ApiKey' } : {}),
    ...(r.retryAfterMs !== undefined ? { 'Retry-After': String(Math.max(1, Math.ceil(r.retryAfterMs / 1000))) } : {}),
    ...(r.replayed ? { 'Idempotent-Replayed': 'true' } : {}),
  };
  return err(STATUS[r.reason], r.reason, { headers, ...(r.keyId ? { keyId: r.keyId } : {}) });
};

/** The ITSM API's answer plumbing: run a route, map errors to 503/500, set the headers, send, audit (R20). */
export function answerKit(auditLog: AuditLog, logger: Logger, route: string) {
  const audit = async (req: Request, correlationId: string, a: Answer): Promise<void> => {
    const code = typeof a.body.error === 'string' ? a.body.error : undefined;
    const outcome = a.status < 300 ? 'success' : a.status >= 500 ? 'failure' : 'refused';
    const detail = {
      method: req.method ?? '',
      route: req.getRoute()?.path?.toString() ?? route,
      status: a.status,
      ...(a.keyId ? { key: a.keyId } : {}),
      ...(a.handoffId ? { handoff: a.handoffId } : {}),
    };
    await auditLog
      .record({ type: 'helpdesk.api_call', correlationId, outcome, ...(code ? { reason: code } : {}), detail })
      .catch((e: unknown) =>
        logger.error({ err: { name: (e as Error)?.name }, correlationId }, 'helpdesk api: audit failed'),
      );
  };

  const handle =
    (f: (req: Request, correlationId: string) => Promise<Answer>) =>
    async (req: Request, res: Response): Promise<void> => {
      const correlationId = randomBytes(8).toString('hex');
      let a: Answer;
      try {
        a = await f(req, correlationId);
      } catch (e) {
        if (isSsprError(e) && (e.code === 'state_unavailable' || e.code === 'lock_timeout'))
          a = err(503, 'temporarily_unavailable');
        else {
          logger.error(
            { incident: correlationId, code: isSsprError(e) ? e.code : 'internal', route },
            'helpdesk api failed',
          );
          a = err(500, 'internal', { body: { error: 'internal', incident: correlationId } });
        }
      }
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Correlation-Id', correlationId);
      for (const [k, v] of Object.entries(a.headers ?? {})) res.setHeader(k, v);
      res.send(a.status, a.body);
      await audit(req, correlationId, a);
    };

  return { audit, handle };
}

/**
 * Body-parser refusals (malformed JSON, too large) on this API are audited like any other call. restify hands
 * every listener the same completion callback, which must run once: when another listener (the pages API's) is
 * already registered, it completes the event and this one only shapes the JSON and audits.
 */
export function auditParserRefusals(
  server: Server,
  route: string,
  audit: (req: Request, correlationId: string, a: Answer) => Promise<void>,
): void {
  const completes = server.listenerCount('restifyError') === 0;
  server.on(
    'restifyError',
    (req: Request, _res: Response, e: { statusCode?: number; toJSON?: () => unknown }, cb: () => void) => {
      if (!(req.path?.() ?? '').startsWith(route)) return void (completes && cb());
      const status = e.statusCode ?? 500;
      const code =
        status === 413
          ? 'payload_too_large'
          : status === 400
            ? 'invalid_body'
            : status === 404
              ? 'not_found'
              : status === 405
                ? 'method_not_allowed'
                : 'internal';
      e.toJSON = () => ({ error: code });
      const parsed = parseApiKeyHeader(req.header('authorization'));
      const done = audit(
        req,
        randomBytes(8).toString('hex'),
        err(status, code, typeof parsed === 'object' ? { keyId: parsed.id } : {}),
      );
      if (completes) done.then(cb, cb);
    },
  );
}
