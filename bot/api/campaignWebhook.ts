import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response, Server } from 'restify';
import { z } from 'zod';
import type { ReportLockout } from '../../domain/campaigns/lockoutAlerts';
import { isSsprError } from '../../domain/errors';
import type { Logger } from '../logger';

export const LOCKOUT_WEBHOOK_ROUTE = '/api/campaigns/lockout';

const Body = z
  .object({
    tenantId: z.string().regex(/^[0-9a-fA-F-]{36}$/),
    objectId: z.string().regex(/^[0-9a-fA-F-]{36}$/),
    lockedAt: z.iso.datetime({ offset: true }),
  })
  .strict();

/** Signature window: a request older or newer than this is refused (replay). */
const SKEW_MS = 5 * 60_000;

/**
 * E4 from a SIEM: `POST /api/campaigns/lockout` with `{ tenantId, objectId, lockedAt }`, signed like the helpdesk
 * webhooks — `X-SSPR-Timestamp: <epoch seconds>` and `X-SSPR-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw
 * body>">` under LOCKOUT_WEBHOOK_SECRET. 202 queued or already told, 401 bad signature, 400 bad body, 503 (with an incident id) when Redis cannot answer. The user
 * gets the same card as from directory polling, once per lock.
 */
export function registerLockoutWebhook(server: Server, deps: { readonly secret: string; readonly report: ReportLockout; readonly logger: Logger; readonly now: () => number }): void {
  server.post(LOCKOUT_WEBHOOK_ROUTE, async (req: Request, res: Response) => {
    const raw = (req as { rawBody?: Buffer }).rawBody ?? Buffer.alloc(0);
    const ts = Number(req.header('x-sspr-timestamp') ?? '');
    const sig = String(req.header('x-sspr-signature') ?? '');
    const expected = `sha256=${createHmac('sha256', deps.secret).update(`${ts}.`).update(raw).digest('hex')}`;
    const fresh = Number.isFinite(ts) && Math.abs(deps.now() - ts * 1000) <= SKEW_MS;
    // Bytes, not characters: a header of 71 non-ASCII characters has the string length but not the byte length.
    const got = Buffer.from(sig);
    const want = Buffer.from(expected);
    const same = got.length === want.length && timingSafeEqual(got, want);
    if (!fresh || !same) {
      res.send(401, { error: 'invalid_signature' });
      return;
    }
    const parsed = Body.safeParse((req as { body?: unknown }).body);
    if (!parsed.success) {
      res.send(400, { error: 'invalid_body' });
      return;
    }
    let r: Awaited<ReturnType<ReportLockout['report']>>;
    try {
      r = await deps.report.report(
        { tenantId: parsed.data.tenantId.toLowerCase(), objectId: parsed.data.objectId.toLowerCase() },
        Date.parse(parsed.data.lockedAt),
      );
    } catch (e) {
      // R22: Redis (or the directory) not answering is "try again", never a 500 with the client library's words.
      const incident = randomBytes(4).toString('hex');
      deps.logger.warn({ event: 'campaign.lockout_webhook', incident, errorCode: isSsprError(e) ? e.code : 'unavailable' }, 'lockout report not taken');
      res.send(503, { error: 'temporarily_unavailable', incident });
      return;
    }
    if (!r.ok) {
      res.send(404, { error: 'lockout_alerts_disabled' });
      return;
    }
    deps.logger.info({ event: 'campaign.lockout_webhook', queued: r.queued }, 'lockout reported by webhook');
    res.send(202, { queued: r.queued });
  });
}
