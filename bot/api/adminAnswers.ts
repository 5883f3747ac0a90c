import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'restify';
import type { Logger } from '../logger';
import { isSsprError } from '../../domain/errors';
import type { AuditLog } from '../../domain/ports/auditLog';
import type { AdminAuthRefusal, AdminCaller } from './adminAuth';
import type { InsightsRefusal } from '../../domain/insights/getInsights';
import type { ExportRefusal } from '../../domain/insights/exportAudit';

export type AdminRefusal = AdminAuthRefusal | InsightsRefusal | ExportRefusal | 'invalid_query';

/** The one Result → HTTP table of the admin API (issue 14). */
export const ADMIN_ANSWERS: Readonly<Record<AdminRefusal, { readonly status: number; readonly code: string }>> = {
  unauthorized: { status: 401, code: 'unauthorized' },
  not_admin: { status: 403, code: 'not_admin' },
  insufficient_scope: { status: 403, code: 'insufficient_scope' },
  rate_limited: { status: 429, code: 'rate_limited' },
  temporarily_unavailable: { status: 503, code: 'temporarily_unavailable' },
  invalid_query: { status: 400, code: 'invalid_query' },
  range_invalid: { status: 400, code: 'range_invalid' },
  range_too_long: { status: 400, code: 'range_too_long' },
  range_expired: { status: 400, code: 'range_expired' },
  user_unknown: { status: 404, code: 'user_unknown' },
  archive_not_configured: { status: 409, code: 'audit_file_sink_not_configured' },
};

/** What the audit record of one admin API call says. */
export interface AdminCall {
  caller?: AdminCaller;
  status: number;
  reason?: string;
  lines?: number;
}

/**
 * Wraps an admin route: a correlation id, `Cache-Control: no-store`, stable JSON errors from the table, 503 when
 * Redis is down (R22), 500 with an incident id otherwise, and one `admin.api_call` audit event per call (R20) naming
 * the key id or the admin (pseudonymous), the route, the status and how many lines were exported.
 */
export function adminRoute(
  deps: { readonly audit: AuditLog; readonly logger: Logger; readonly pseudonym: (u: { tenantId: string; objectId: string }) => string },
  route: string,
  f: (req: Request, res: Response, call: AdminCall) => Promise<void>,
): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const correlationId = randomBytes(8).toString('hex');
    const call: AdminCall = { status: 200 };
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Correlation-Id', correlationId);
    try {
      await f(req, res, call);
    } catch (e) {
      const unavailable = isSsprError(e) && (e.code === 'state_unavailable' || e.code === 'lock_timeout');
      call.status = unavailable ? 503 : 500;
      if (!unavailable) deps.logger.error({ incident: correlationId, errorCode: isSsprError(e) ? e.code : 'internal', route }, 'admin api failed');
      if (!res.headersSent) res.send(call.status, unavailable ? { error: 'temporarily_unavailable' } : { error: 'internal', incident: correlationId });
      else res.end();
    }
    const c = call.caller;
    await deps.audit
      .record({
        type: 'admin.api_call',
        correlationId,
        ...(c?.kind === 'admin' ? { user: c.user } : {}),
        outcome: call.status < 300 ? 'success' : call.status >= 500 ? 'failure' : 'refused',
        ...(call.reason ? { reason: call.reason } : {}),
        detail: { route, status: call.status, ...(c?.kind === 'key' ? { key: c.keyId } : {}), ...(call.lines !== undefined ? { lines: call.lines } : {}) },
      })
      .catch(() => deps.logger.error({ correlationId }, 'admin api: audit failed'));
  };
}

/** Answer a refusal through the table. */
export function refuseWith(res: Response, call: AdminCall, reason: AdminRefusal, retryAfterSeconds?: number): void {
  const a = ADMIN_ANSWERS[reason];
  call.status = a.status;
  call.reason = a.code;
  if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
  if (a.status === 401) res.setHeader('WWW-Authenticate', 'Bearer, ApiKey');
  res.send(a.status, { error: a.code });
}

/** `from` / `to` query values: `YYYY-MM-DD` (a whole UTC day) or an ISO 8601 time. */
export function parseTime(v: unknown, endOfDay: boolean): number | null {
  if (typeof v !== 'string' || v.length > 40) return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    const t = Date.parse(`${v}T00:00:00.000Z`);
    return Number.isNaN(t) ? null : endOfDay ? t + 86_399_999 : t;
  }
  if (!/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(v)) return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}
