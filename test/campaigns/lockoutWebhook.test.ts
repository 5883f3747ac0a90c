/**
 * E4's SIEM webhook (`POST /api/campaigns/lockout`) as someone on the network without the secret, and as a careless
 * client, would call it: over HTTP against the real app on real Redis. Every refusal is a clean JSON 4xx/503, never
 * a 500 with restify's internals, and the bot keeps answering afterwards.
 */
import { createHmac } from 'node:crypto';
import { startApp, type RunningApp } from '../support/appHarness';
import { rawRequest } from '../support/rawHttp';
import { startRedis, type RedisServer } from '../support/redisServer';
import { DEMO_TENANT } from '../support/activities';

jest.setTimeout(120_000);

const SECRET = 'lockout-webhook-secret-for-tests-0123456789';
const MEGAN = '6e7b768e-07e2-4810-8459-485f84f8f204';
const PATH = '/api/campaigns/lockout';

let redis: RedisServer;
let running: RunningApp;

beforeAll(async () => {
  redis = await startRedis();
  running = await startApp({ REDIS_URL: redis.url, LOCKOUT_WEBHOOK_SECRET: SECRET });
  for (let i = 0; i < 100 && (await fetch(`${running.baseUrl}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
});
afterAll(async () => {
  await running?.close();
  await redis?.destroy();
});

function signed(body: string, ts = Math.floor(Date.now() / 1000)): Record<string, string> {
  const sig = createHmac('sha256', SECRET).update(`${ts}.`).update(body).digest('hex');
  return { 'content-type': 'application/json', 'x-sspr-timestamp': String(ts), 'x-sspr-signature': `sha256=${sig}` };
}
const lockBody = (objectId = MEGAN): string => JSON.stringify({ tenantId: DEMO_TENANT, objectId, lockedAt: new Date(Date.now() - 60_000).toISOString() });

test('E4 attack: a signature header of the right length in non-ASCII characters is a 401, not a 500 (the byte lengths differ)', async () => {
  const body = lockBody();
  const headers = { ...signed(body), 'x-sspr-signature': `sha256=${'é'.repeat(64)}` };
  const r = await rawRequest(running.baseUrl, { path: PATH, headers, body: Buffer.from(body) });
  expect({ status: r.status, body: r.body }).toEqual({ status: 401, body: JSON.stringify({ error: 'invalid_signature' }) });
});

test.each([
  ['no signature headers', 401, { 'content-type': 'application/json' }, lockBody()],
  ['a signature five minutes and more old (replay)', 401, signed(lockBody(), Math.floor(Date.now() / 1000) - 301), lockBody()],
  ['a valid signature over another body', 401, signed(lockBody('11111111-1111-4111-8111-111111111111')), lockBody()],
  ['malformed JSON', 400, { 'content-type': 'application/json' }, '{"tenantId":'],
  ['text/plain', 415, { 'content-type': 'text/plain' }, lockBody()],
  ['a gzip body', 415, { 'content-type': 'application/json', 'content-encoding': 'gzip' }, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0])],
  ['300 KB', 413, { 'content-type': 'application/json' }, `{"a":"${'x'.repeat(300_000)}"}`],
])('E4 attack: %s → %i with a JSON error, and the bot still answers', async (_what, status, headers, body) => {
  const r = await rawRequest(running.baseUrl, { path: PATH, headers: headers, body: typeof body === 'string' ? Buffer.from(body) : body });
  expect(r.status).toBe(status);
  expect(JSON.parse(r.body)).toEqual({ error: expect.any(String) });
  expect((await fetch(`${running.baseUrl}/healthz`)).status).toBe(200);
});

test('E4: a signed body that is not the schema (extra field, bad id) is 400; a signed report is 202', async () => {
  const extra = JSON.stringify({ tenantId: DEMO_TENANT, objectId: MEGAN, lockedAt: new Date().toISOString(), send: 'everyone' });
  expect((await rawRequest(running.baseUrl, { path: PATH, headers: signed(extra), body: extra })).status).toBe(400);
  const body = lockBody();
  const r = await rawRequest(running.baseUrl, { path: PATH, headers: signed(body), body });
  expect(r.status).toBe(202);
});

test('E4 R22 attack: a signed report while Redis is down is a 503 temporarily_unavailable, not a 500; the bot recovers', async () => {
  await redis.stop();
  try {
    const body = lockBody('22222222-2222-4222-8222-222222222222');
    const r = await rawRequest(running.baseUrl, { path: PATH, headers: signed(body), body, timeoutMs: 15_000 });
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toEqual({ error: 'temporarily_unavailable', incident: expect.stringMatching(/^[0-9a-f]{8}$/) });
  } finally {
    await redis.start();
  }
  expect((await fetch(`${running.baseUrl}/healthz`)).status).toBe(200);
});
