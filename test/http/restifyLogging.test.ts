import type { Request, Response } from 'restify';
import { createHttpServer } from '../../bot/server';
import { createLogger } from '../../bot/logger';
import { Metrics } from '../../bot/metrics';
import { LogCapture } from '../support/appHarness';

/**
 * Issue 16, R20: restify logs on its own paths — the whole raw request when a response cannot be formatted (a body
 * nested ~4,100 deep, or circular), a handler's discarded return value. Those lines go through the product's
 * redacting logger: method and route only, never the URL's query, headers, the value or the body.
 */
test('R20: restify\'s own warnings go through the product logger with nothing raw (no header, query, value or body)', async () => {
  const logs = new LogCapture();
  const http = createHttpServer({ adapter: {} as never, bot: {} as never, logger: createLogger('info', logs), metrics: new Metrics(), ready: async () => true });
  http.server.get('/probe/unformattable', (_req: Request, res: Response, next: () => void) => {
    const body: Record<string, unknown> = { secret: 'Body-Secret-4411' };
    body.self = body;
    res.send(200, body);
    next();
  });
  http.server.get('/probe/returns', async (_req: Request, res: Response) => {
    res.send(200, { ok: true });
    return { leaked: 'Value-Secret-4412' };
  });
  const port = await new Promise<number>((r) => http.server.listen(0, '127.0.0.1', () => r(http.server.address().port)));
  try {
    const headers = { authorization: 'Bearer Header-Secret-4413', cookie: 'sid=Cookie-Secret-4414' };
    const a = await fetch(`http://127.0.0.1:${port}/probe/unformattable?ticket=Query-Secret-4415`, { headers });
    expect(a.status).toBe(500);
    const b = await fetch(`http://127.0.0.1:${port}/probe/returns?ticket=Query-Secret-4416`, { headers });
    expect(b.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    const restifyLines = logs.lines.filter((l) => l.includes('"component":"restify"'));
    expect(restifyLines.length).toBeGreaterThanOrEqual(2);
    expect(restifyLines.some((l) => l.includes('"route":"/probe/unformattable"'))).toBe(true);
    for (const secret of ['Body-Secret', 'Value-Secret', 'Header-Secret', 'Cookie-Secret', 'Query-Secret']) expect(logs.text).not.toContain(secret);
  } finally {
    await new Promise<void>((r) => http.server.close(() => r()));
  }
});
