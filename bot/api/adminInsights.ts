import type { Server } from 'restify';
import { z } from 'zod';
import type { Logger } from '../logger';
import type { AuditLog } from '../../domain/ports/auditLog';
import type { Clock } from '../../domain/ports/clock';
import type { GetInsights } from '../../domain/insights/getInsights';
import type { AdminAuth } from './adminAuth';
import { adminRoute, parseTime, refuseWith } from './adminAnswers';

export const INSIGHTS_ROUTE = '/api/admin/insights';

const Query = z.strictObject({ from: z.string().max(40).optional(), to: z.string().max(40).optional() });

export interface AdminInsightsDeps {
  readonly auth: AdminAuth;
  readonly report: GetInsights;
  readonly audit: AuditLog;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly pseudonym: (u: { tenantId: string; objectId: string }) => string;
}

/**
 * `GET /api/admin/insights?from=YYYY-MM-DD&to=YYYY-MM-DD` (default: the last 7 UTC days): the insights report of
 * domain/insights/getInsights.ts as JSON, for an API key with `insights:read` or an admin signed in to Teams.
 */
export function registerAdminInsightsApi(server: Server, deps: AdminInsightsDeps): void {
  server.get(
    INSIGHTS_ROUTE,
    adminRoute(deps, INSIGHTS_ROUTE, async (req, res, call) => {
      const who = await deps.auth.authenticate(req, 'insights:read');
      if (!who.ok) return refuseWith(res, call, who.reason, who.retryAfterSeconds);
      call.caller = who.value;
      const q = Query.safeParse(req.query ?? {});
      if (!q.success) return refuseWith(res, call, 'invalid_query');
      const now = deps.clock.now();
      const to = q.data.to === undefined ? now : parseTime(q.data.to, true);
      const from = q.data.from === undefined ? (to ?? now) - 6 * 86_400_000 : parseTime(q.data.from, false);
      if (from === null || to === null) return refuseWith(res, call, 'invalid_query');
      const r = await deps.report.execute({ from, to });
      if (!r.ok) return refuseWith(res, call, r.reason);
      res.send(200, r.value);
    }),
  );
}
