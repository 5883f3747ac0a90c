import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { startApp, type RunningApp } from '../support/appHarness';
import { ConnectorStub } from '../support/connectorStub';
import { post, replyText, teamsActivity, DEMO_TENANT } from '../support/activities';
import { startRedis, type RedisServer } from '../support/redisServer';
import { runHelpdeskKeys } from '../../scripts/helpdeskKeys';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook } from '../../adapters/helpdesk/webhookSender';

/** The demo directory's Helpdesk group, by object id (R32). */
const HELPDESK_GROUP = '5fc16da7-8e90-4cbf-8d34-60718293a4b5';

const MEGAN = '6e7b768e-07e2-4810-8459-485f84f8f204';
const DIEGO_UPN = 'diego.siciliani@contoso.example'; // group Helpdesk
const MEGAN_UPN = 'megan.bowen@contoso.example';
const SECRET = 'whsec-test-0123456789abcdef';

let redisServer: RedisServer;
let redis: Redis;
let stub: ConnectorStub;
let running: RunningApp;
let receiver: Server;
let receiverUrl: string;
const received: { body: Record<string, unknown>; valid: boolean }[] = [];
let prefix: string;

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runHelpdeskKeys(argv, { REDIS_URL: redisServer.url }, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

async function newKey(name: string, scopes: string): Promise<{ id: string; key: string }> {
  const r = await cli('create', '--name', name, '--scopes', scopes, '--json');
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as { id: string; key: string };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

let writer: { id: string; key: string };
let reader: { id: string; key: string };

beforeAll(async () => {
  redisServer = await startRedis();
  redis = new Redis(redisServer.url);
  stub = new ConnectorStub();
  await stub.start();
  receiver = createServer((req, res) => {
    readBody(req).then((raw) => {
      const valid = verifyWebhook(
        SECRET,
        { signature: req.headers[SIGNATURE_HEADER] as string | undefined, timestamp: req.headers[TIMESTAMP_HEADER] as string | undefined },
        raw,
        Math.floor(Date.now() / 1000),
      );
      received.push({ body: JSON.parse(raw) as Record<string, unknown>, valid });
      res.statusCode = valid ? 204 : 401;
      res.end();
    }).catch(() => res.destroy());
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const addr = receiver.address();
  receiverUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hook`;
  const dir = mkdtempSync(join(tmpdir(), 'itsm-'));
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({ helpdesk: { agentGroups: [HELPDESK_GROUP] } }));
  running = await startApp(
    {
      REDIS_URL: redisServer.url,
      POLICY_FILE: policyFile,
      ALLOWED_TENANTS: DEMO_TENANT,
      HELPDESK_WEBHOOK_URL: receiverUrl,
      HELPDESK_WEBHOOK_SECRET: SECRET,
    },
    { helpdesk: { webhookBaseDelayMs: 10 }, helpdeskApi: { perKeyPerMinute: 40, authFailuresPerMinute: 1000 } },
  );
  prefix = running.app.config.redis.prefix;
  writer = await newKey('ServiceNow', 'handoffs:write,handoffs:read');
  reader = await newKey('Reporting', 'handoffs:read');
});

afterAll(async () => {
  await running.close();
  await stub.stop();
  await new Promise<void>((r) => receiver.close(() => r()));
  redis.disconnect();
  await redisServer.stop();
});

interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function api(
  method: 'GET' | 'POST',
  path: string,
  o: { key?: string | null; auth?: string; idem?: string | null; body?: unknown; raw?: string } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.auth !== undefined) headers.authorization = o.auth;
  else if (o.key !== null) headers.authorization = `ApiKey ${o.key ?? writer.key}`;
  if (method === 'POST' && o.idem !== null) headers['idempotency-key'] = o.idem ?? `idem-${Math.random().toString(36).slice(2)}`;
  const res = await fetch(`${running.baseUrl}${path}`, {
    method,
    headers,
    ...(method === 'POST' ? { body: o.raw ?? JSON.stringify(o.body ?? {}) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

const body = (over: Record<string, unknown> = {}) => ({ user: MEGAN_UPN, purpose: 'reset', ticket: 'INC-9001', agent: DIEGO_UPN, ...over });

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('R20 R21: API keys', () => {
  test('the CLI shows the key once and stores only a hash in Redis; list shows no secret', async () => {
    const stored = await redis.hget(`${prefix}helpdesk:apikeys`, writer.id);
    expect(stored).not.toBeNull();
    const secret = writer.key.split('.')[1]!;
    expect(stored).not.toContain(secret);
    const list = await cli('list');
    expect(list.out).toContain(writer.id);
    expect(list.out).toContain('ServiceNow');
    expect(list.out).not.toContain(secret);
  });

  test.each([
    ['missing key', { key: null }, 401, 'missing_api_key'],
    ['wrong scheme', { auth: `Bearer ${'x'.repeat(40)}` }, 401, 'invalid_api_key'],
    ['malformed key', { auth: 'ApiKey not-a-key' }, 401, 'invalid_api_key'],
    ['unknown key id', { auth: `ApiKey 0123456789abcdef.${'A'.repeat(43)}` }, 401, 'invalid_api_key'],
  ])('R20: %s is refused', async (_name, o, status, code) => {
    const r = await api('POST', '/api/helpdesk/handoffs', { ...o, body: body() });
    expect(r.status).toBe(status);
    expect(r.body).toEqual({ error: code });
    expect(r.headers.get('www-authenticate')).toBe('ApiKey');
  });

  test('R20: a known key id with a wrong secret is refused', async () => {
    const r = await api('POST', '/api/helpdesk/handoffs', { auth: `ApiKey ${writer.id}.${'B'.repeat(43)}`, body: body() });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: 'invalid_api_key' });
  });

  test('R20: a revoked key is refused from the next request on', async () => {
    const k = await newKey('Old system', 'handoffs:read');
    expect((await api('GET', `/api/helpdesk/handoffs/${'0'.repeat(32)}`, { key: k.key })).status).toBe(404);
    const revoked = await cli('revoke', k.id);
    expect(revoked.code).toBe(0);
    const r = await api('GET', `/api/helpdesk/handoffs/${'0'.repeat(32)}`, { key: k.key });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: 'revoked_api_key' });
    expect((await cli('revoke', k.id)).code).toBe(1);
    expect((await cli('list')).out).toMatch(new RegExp(`${k.id} .* revoked`));
  });

  test('R20: a key without the scope gets 403 (read-only key cannot create; write-only key cannot read)', async () => {
    const r = await api('POST', '/api/helpdesk/handoffs', { key: reader.key, body: body() });
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ error: 'insufficient_scope' });
    const w = await newKey('Write only', 'handoffs:write');
    const g = await api('GET', `/api/helpdesk/handoffs/${'0'.repeat(32)}`, { key: w.key });
    expect(g.status).toBe(403);
    expect(g.body).toEqual({ error: 'insufficient_scope' });
  });

  test('the CLI refuses bad names and scopes', async () => {
    expect((await cli('create', '--name', 'x', '--scopes', 'admin')).code).toBe(2);
    expect((await cli('create', '--scopes', 'handoffs:read')).code).toBe(2);
  });

  test('per-key rate limit: 429 with Retry-After once the key used its budget', async () => {
    const k = await newKey('Busy system', 'handoffs:read');
    const statuses: number[] = [];
    for (let i = 0; i < 41; i++) statuses.push((await api('GET', `/api/helpdesk/handoffs/${'0'.repeat(32)}`, { key: k.key })).status);
    expect(statuses.slice(0, 40).every((s) => s === 404)).toBe(true);
    expect(statuses[40]).toBe(429);
    const again = await api('GET', `/api/helpdesk/handoffs/${'0'.repeat(32)}`, { key: k.key });
    expect(again.body).toEqual({ error: 'rate_limited' });
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another key is not affected.
    expect((await api('GET', `/api/helpdesk/handoffs/${'0'.repeat(32)}`, { key: reader.key })).status).toBe(404);
  });
});

describe('R21: bodies and idempotency', () => {
  test('Idempotency-Key is required on POST', async () => {
    const r = await api('POST', '/api/helpdesk/handoffs', { idem: null, body: body() });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: 'idempotency_key_required' });
    const bad = await api('POST', '/api/helpdesk/handoffs', { idem: 'short', body: body() });
    expect(bad.body).toEqual({ error: 'invalid_idempotency_key' });
  });

  test.each([
    ['malformed JSON', { raw: '{"user": "megan' }, 400, 'invalid_body'],
    ['unknown field (strict)', { body: body({ password: 'x' }) }, 400, 'invalid_body'],
    ['missing agent', { body: { user: MEGAN_UPN, purpose: 'reset' } }, 400, 'invalid_body'],
    ['bad purpose', { body: body({ purpose: 'verify' }) }, 400, 'invalid_body'],
    ['bad ticket', { body: body({ ticket: '<script>' }) }, 400, 'invalid_body'],
    ['oversized body (> 2 KiB)', { raw: JSON.stringify(body({ pad: 'x'.repeat(3000) })) }, 413, 'payload_too_large'],
    ['huge body (> the server limit)', { raw: JSON.stringify(body({ pad: 'x'.repeat(300 * 1024) })) }, 413, 'payload_too_large'],
  ])('R30: %s is refused', async (_name, o, status, code) => {
    const r = await api('POST', '/api/helpdesk/handoffs', o);
    expect(r.status).toBe(status);
    expect(r.body.error).toBe(code);
  });

  test.each([
    ['unknown user', body({ user: 'nobody@contoso.example' }), 404, 'unknown_user'],
    ['self', body({ user: DIEGO_UPN }), 422, 'self_handoff'],
    // R17: a privileged target gets the unknown user's status and words (the audit line keeps "privileged").
    ['privileged user (R17: as an unknown one)', body({ user: 'admin.adele@contoso.example' }), 404, 'unknown_user'],
    ['agent not in the helpdesk group', body({ agent: MEGAN_UPN, user: 'lidia.holloway@contoso.example' }), 403, 'agent_not_allowed'],
    ['unknown agent', body({ agent: 'ghost@contoso.example' }), 403, 'agent_not_allowed'],
    ['disabled agent', body({ agent: 'pradeep.gupta@contoso.example' }), 403, 'agent_not_allowed'],
  ])('R21: %s is refused and audited', async (_name, b, status, code) => {
    const r = await api('POST', '/api/helpdesk/handoffs', { body: b });
    expect(r.status).toBe(status);
    expect(r.body).toEqual({ error: code });
    const cid = r.headers.get('x-correlation-id')!;
    await until(() => running.logs.lines.some((l) => l.includes('helpdesk.handoff_create') && l.includes(cid) && l.includes('refused')));
  });

  test('R21: same Idempotency-Key + same body → the same answer, one hand-off; different body → 409', async () => {
    await post(running.baseUrl, teamsActivity({ text: 'hi', userObjectId: 'c2a7bbd1-3b5e-4c1e-9a8f-0d7c1f3e5a21', userName: 'Lidia Holloway', serviceUrl: stub.url }));
    stub.clear();
    const idem = 'ticket-INC-77-attempt';
    const b = body({ user: 'lidia.holloway@contoso.example', ticket: 'INC-77' });
    const first = await api('POST', '/api/helpdesk/handoffs', { idem, body: b });
    expect(first.status).toBe(201);
    // Same body in another key order is the same request.
    const reordered = Object.fromEntries(Object.entries(b).reverse());
    const second = await api('POST', '/api/helpdesk/handoffs', { idem, body: reordered });
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const conflict = await api('POST', '/api/helpdesk/handoffs', { idem, body: { ...b, purpose: 'unlock' } });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toEqual({ error: 'idempotency_key_reused' });
    await running.app.helpdesk.bot.settled();
    const offers = stub.calls.filter((c) => c.method === 'POST' && c.path.includes(encodeURIComponent('a:c2a7bbd1-3b5e-4c1e-9a8f-0d7c1f3e5a21')));
    expect(offers).toHaveLength(1);
    // The same Idempotency-Key under another API key is independent.
    const other = await newKey('Other ITSM', 'handoffs:write');
    const o = await api('POST', '/api/helpdesk/handoffs', { key: other.key, idem, body: body({ user: 'joni.sherman@contoso.example' }) });
    expect(o.status).toBe(201);
  });
});

describe('R18 R20 R21: happy path through to the webhook', () => {
  test('POST → the user gets the offer → Start → verified → done; signed webhooks; GET shows the outcome; no secrets', async () => {
    await post(running.baseUrl, teamsActivity({ text: 'hi', userObjectId: MEGAN, userName: 'Megan Bowen', serviceUrl: stub.url }));
    stub.clear();
    received.length = 0;
    const created = await api('POST', '/api/helpdesk/handoffs', { body: body() });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.headers.get('location')).toBe(`/api/helpdesk/handoffs/${id}`);
    expect(created.body).toMatchObject({ purpose: 'reset', status: 'created', ticket: 'INC-9001', methodKinds: [] });
    expect(JSON.stringify(created.body)).not.toMatch(/token/i);

    await running.app.helpdesk.bot.settled();
    const toUser = stub.calls.filter((c) => c.method === 'POST' && c.path.includes(encodeURIComponent(`a:${MEGAN}`)));
    expect(toUser).toHaveLength(1);
    const offer = toUser[0]!.body.attachments[0].content;
    expect(JSON.stringify(offer)).toContain('Diego Siciliani, ticket INC-9001');
    const start = offer.actions.find((a: { data: { verb: string } }) => a.data.verb === 'handoffStart').data;
    const token: string = start.token;

    const mine = await post(running.baseUrl, teamsActivity({ value: start, userObjectId: MEGAN, userName: 'Megan Bowen', serviceUrl: stub.url }));
    expect(replyText(mine.replies)).not.toContain("can't be used");
    const user = { tenantId: DEMO_TENANT, objectId: MEGAN };
    // The journey's outcomes as the recovery use-cases publish them (rule 18: events, not audit-event names).
    const events = running.app.services.events;
    const at = Date.now();
    events.publish({ type: 'method_proved', at, correlationId: 'itsm', user, goal: 'reset', flowId: 'f', methodKind: 'email' });
    events.publish({ type: 'verification_succeeded', at, correlationId: 'itsm', user, goal: 'reset', flowId: 'f', methods: 2 });
    events.publish({ type: 'password_reset', at, correlationId: 'itsm', user, flowId: 'f' });
    await running.app.helpdesk.bot.settled();

    const mineHooks = () => received.filter((r) => r.body.handoff === id);
    await until(() => mineHooks().some((r) => r.body.status === 'done'));
    expect(mineHooks().every((r) => r.valid)).toBe(true);
    expect(mineHooks().map((r) => r.body.status)).toEqual(['sent', 'started', 'verified', 'done']);
    expect(mineHooks().at(-1)!.body).toMatchObject({ type: 'handoff.status', purpose: 'reset', ticket: 'INC-9001', methodKinds: ['email'] });

    const got = await api('GET', `/api/helpdesk/handoffs/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id, status: 'done', methodKinds: ['email'] });
    expect((got.body.history as { status: string }[]).map((h) => h.status)).toEqual(['created', 'sent', 'started', 'verified', 'done']);
    // Bound to the key that created it: another key (even with read scope) sees nothing.
    expect((await api('GET', `/api/helpdesk/handoffs/${id}`, { key: reader.key })).status).toBe(404);
    expect((await api('GET', '/api/helpdesk/handoffs/not-an-id')).status).toBe(404);

    // Nothing the ITSM side sees carries the token; neither logs nor Redis hold a key secret or the token.
    const seen = JSON.stringify([created.body, got.body, received.map((r) => r.body)]);
    expect(seen).not.toContain(token);
    expect(seen).not.toMatch(/@|\+\d{6,}/);
    const dump = (await redis.keys('*')).join('\n');
    const values = await Promise.all(
      (await redis.keys('*')).map(async (k) => ((await redis.type(k)) === 'string' ? ((await redis.get(k)) ?? '') : JSON.stringify(await redis.hgetall(k).catch(() => ({}))))),
    );
    for (const secret of [writer.key.split('.')[1]!, reader.key.split('.')[1]!, token]) {
      expect(running.logs.text).not.toContain(secret);
      expect(dump + values.join('\n')).not.toContain(secret);
    }
  });

  test('R20: every API call is audited (helpdesk.api_call), including body-parser refusals', async () => {
    const before = running.logs.lines.filter((l) => l.includes('helpdesk.api_call')).length;
    await api('POST', '/api/helpdesk/handoffs', { raw: '{oops' });
    await api('POST', '/api/helpdesk/handoffs', { key: null, body: body() });
    await api('GET', `/api/helpdesk/handoffs/${'1'.repeat(32)}`);
    await until(() => running.logs.lines.filter((l) => l.includes('helpdesk.api_call')).length >= before + 3);
    const last = running.logs.lines.filter((l) => l.includes('helpdesk.api_call')).slice(-3).join('\n');
    expect(last).toContain('invalid_body');
    expect(last).toContain('missing_api_key');
    expect(last).toContain('not_found');
  });
});
