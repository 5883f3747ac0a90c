import { createServer, type Server } from 'node:http';
import { signWebhook, verifyWebhook, WebhookSender, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../adapters/helpdesk/webhookSender';
import { FixedClock } from '../support/fixedClock';

const SECRET = 'whsec-test-secret';
let server: Server;
let url = '';
const received: { ok: boolean; body: string }[] = [];
let failFirst = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const ok = verifyWebhook(SECRET, { signature: req.headers[SIGNATURE_HEADER] as string, timestamp: req.headers[TIMESTAMP_HEADER] as string }, body, Math.floor(clock.now() / 1000));
      received.push({ ok, body });
      if (failFirst > 0) {
        failFirst--;
        // Not chained: restify (loaded by other test files in this worker) patches ServerResponse.writeHead to return
        // nothing.
        res.writeHead(503);
        res.end();
      } else {
        res.writeHead(ok ? 204 : 401);
        res.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/hook`;
});
afterAll(async () => new Promise<void>((r) => server.close(() => r())));
const clock = new FixedClock();

test('R20: webhook signature = v1=HMAC-SHA256(secret, "<timestamp>.<body>"); tampering, wrong secret and stale timestamps fail', () => {
  const ts = 1_700_000_000;
  const sig = signWebhook(SECRET, ts, '{"a":1}');
  expect(sig).toMatch(/^v1=[0-9a-f]{64}$/);
  expect(verifyWebhook(SECRET, { signature: sig, timestamp: String(ts) }, '{"a":1}', ts + 10)).toBe(true);
  expect(verifyWebhook(SECRET, { signature: sig, timestamp: String(ts) }, '{"a":2}', ts + 10)).toBe(false);
  expect(verifyWebhook('other', { signature: sig, timestamp: String(ts) }, '{"a":1}', ts + 10)).toBe(false);
  expect(verifyWebhook(SECRET, { signature: sig, timestamp: String(ts) }, '{"a":1}', ts + 301)).toBe(false);
  expect(verifyWebhook(SECRET, { signature: undefined, timestamp: String(ts) }, '{"a":1}', ts)).toBe(false);
});

test('a webhook endpoint that is down is retried with back-off, then delivered and verifiable', async () => {
  received.length = 0;
  failFirst = 2;
  const delays: number[] = [];
  const sender = new WebhookSender({ url, secret: SECRET, clock, baseDelayMs: 10, sleep: async (ms) => void delays.push(ms) });
  const r = await sender.send('h1.2', { type: 'handoff.status', status: 'done' });
  expect(r).toEqual({ ok: true, attempts: 3 });
  expect(received.map((x) => x.ok)).toEqual([true, true, true]);
  expect(delays[1]!).toBeGreaterThanOrEqual(20);
  expect(JSON.parse(received[2]!.body)).toEqual({ id: 'h1.2', type: 'handoff.status', status: 'done' });
});

test('gives up after the configured attempts and reports the last status', async () => {
  failFirst = 10;
  const gaveUp: string[] = [];
  const sender = new WebhookSender({ url, secret: SECRET, clock, attempts: 3, baseDelayMs: 1, sleep: async () => undefined, onGiveUp: (id) => void gaveUp.push(id) });
  expect(await sender.send('h2.1', { status: 'failed' })).toEqual({ ok: false, attempts: 3, last: 503 });
  expect(gaveUp).toEqual(['h2.1']);
  failFirst = 0;
});
