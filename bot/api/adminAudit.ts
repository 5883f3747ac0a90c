import type { Response, Server } from 'restify';
import { z } from 'zod';
import type { Logger } from '../logger';
import type { AuditLog } from '../../domain/ports/auditLog';
import type { Clock } from '../../domain/ports/clock';
import type { ExportAuditTrail } from '../../domain/insights/exportAudit';
import type { AdminAuth } from './adminAuth';
import { adminRoute, parseTime, refuseWith } from './adminAnswers';

export const AUDIT_ROUTE = '/api/admin/audit';

const Query = z.strictObject({
  from: z.string().max(40).optional(),
  to: z.string().max(40).optional(),
  user: z.string().trim().min(3).max(256).regex(/^[^\s<>"]+$/).optional(),
  /** One event's lines: its audit correlation id (what a security alert links to). */
  ref: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/).optional(),
});

/**
 * The audit trail of one event, as a security alert links to it (E2): the export of the hour either side of `at`,
 * only the lines with the event's correlation id. Opened with an `audit:read` API key or as an admin (section 10).
 */
export function auditTrailUrl(publicBaseUrl: string, correlationId: string, at: number): string {
  const iso = (t: number): string => new Date(t).toISOString();
  return `${publicBaseUrl}${AUDIT_ROUTE}?from=${encodeURIComponent(iso(at - 3600_000))}&to=${encodeURIComponent(iso(at + 3600_000))}&ref=${encodeURIComponent(correlationId)}`;
}

export interface AdminAuditDeps {
  readonly auth: AdminAuth;
  readonly exporter: ExportAuditTrail;
  readonly audit: AuditLog;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The tenant an API key's look-ups use (an admin's own tenant otherwise). */
  readonly tenantId: string;
  readonly pseudonym: (u: { tenantId: string; objectId: string }) => string;
}

/** Write with back-pressure: wait for `drain` when the socket's buffer is full. */
async function write(res: Response, text: string): Promise<void> {
  if (!res.write(text)) await new Promise<void>((resolve) => res.once('drain', () => resolve()));
}

/**
 * `GET /api/admin/audit?from=…&to=…&user=<object id or UPN>&ref=<correlation id>` (default: the last 24 hours): the audit trail as JSON
 * Lines, streamed from the JSONL file sink, for an API key with `audit:read` or an admin signed in to Teams. A user
 * is found by the pseudonym the trail carries (R20: it never holds the id itself).
 */
export function registerAdminAuditApi(server: Server, deps: AdminAuditDeps): void {
  server.get(
    AUDIT_ROUTE,
    adminRoute(deps, AUDIT_ROUTE, async (req, res, call) => {
      const who = await deps.auth.authenticate(req, 'audit:read');
      if (!who.ok) return refuseWith(res, call, who.reason, who.retryAfterSeconds);
      call.caller = who.value;
      const q = Query.safeParse(req.query ?? {});
      if (!q.success) return refuseWith(res, call, 'invalid_query');
      const now = deps.clock.now();
      const to = q.data.to === undefined ? now : parseTime(q.data.to, true);
      const from = q.data.from === undefined ? (to ?? now) - 86_400_000 : parseTime(q.data.from, false);
      if (from === null || to === null) return refuseWith(res, call, 'invalid_query');
      const tenantId = who.value.kind === 'admin' ? who.value.user.tenantId : deps.tenantId;
      const r = await deps.exporter.execute({ from, to, tenantId, ...(q.data.user ? { user: q.data.user } : {}), ...(q.data.ref ? { correlationId: q.data.ref } : {}) });
      if (!r.ok) return refuseWith(res, call, r.reason);
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Content-Disposition': 'attachment; filename="audit.jsonl"' });
      let lines = 0;
      for await (const line of r.value) {
        await write(res, `${JSON.stringify(line)}\n`);
        lines++;
      }
      res.end();
      call.lines = lines;
    }),
  );
}
