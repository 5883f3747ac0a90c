import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type RunningApp } from '../support/appHarness';
import { DEMO_TENANT } from '../support/activities';
import { startRedis, type RedisServer } from '../support/redisServer';
import { runHelpdeskKeys } from '../../scripts/helpdeskKeys';

/**
 * R33 ITSM API lockout, performed as an attacker would: bad API keys over HTTP against the real app on a private
 * real Redis, from loopback addresses of the attacker's choosing (127.0.0.1 and 127.0.0.3 are clients that talk to
 * the bot directly; 127.0.0.2 is the configured trusted reverse proxy, TRUSTED_PROXIES, that writes X-Forwarded-For).
 * The default limit: 30 failed authentications per minute per client address.
 */
const PROXY = '127.0.0.2';
const HELPDESK_GROUP = '5fc16da7-8e90-4cbf-8d34-60718293a4b5';
const MEGAN_UPN = 'megan.bowen@contoso.example';
const DIEGO_UPN = 'diego.siciliani@contoso.example'; // group Helpdesk
const UNKNOWN_HANDOFF = '0123456789abcdef0123456789abcdef';

let redis: RedisServer;
let running: RunningApp;
let port: number;
let dir: string;
let writer: { id: string; key: string };

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'sspr-r33-api-'));
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({ helpdesk: { agentGroups: [HELPDESK_GROUP] } }));
  running = await startApp({
    REDIS_URL: redis.url,
    POLICY_FILE: policyFile,
    ALLOWED_TENANTS: DEMO_TENANT,
    TRUSTED_PROXIES: `${PROXY},10.9.0.0/16`,
  });
  port = Number(new URL(running.baseUrl).port);
  let out = '';
  const code = await runHelpdeskKeys(
    ['create', '--name', 'ServiceNow', '--scopes', 'handoffs:write,handoffs:read', '--json'],
    { REDIS_URL: redis.url },
    { out: (s) => (out += s), err: () => undefined },
  );
  expect(code).toBe(0);
  writer = JSON.parse(out) as { id: string; key: string };
});

afterAll(async () => {
  await running?.close();
  await redis?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** One HTTP call from `from` (a loopback source address), optionally with X-Forwarded-For. */
function call(o: {
  from: string;
  key: string;
  forwardedFor?: string;
  method?: 'GET' | 'POST';
  body?: unknown;
  path?: string;
}): Promise<{ status: number; body: Record<string, unknown>; retryAfter?: string }> {
  const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        localAddress: o.from,
        method: o.method ?? 'GET',
        path: o.path ?? (o.method === 'POST' ? '/api/helpdesk/handoffs' : `/api/helpdesk/handoffs/${UNKNOWN_HANDOFF}`),
        headers: {
          authorization: `ApiKey ${o.key}`,
          ...(o.forwardedFor ? { 'x-forwarded-for': o.forwardedFor } : {}),
          ...(payload
            ? { 'content-type': 'application/json', 'idempotency-key': `idem-${Math.random().toString(36).slice(2)}` }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const retryAfter = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
            ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A well-formed key that is not ours: a real-looking id and a random secret. */
const badKey = (i: number) =>
  `${(0xa000000000000000n + BigInt(i)).toString(16)}.${'A'.repeat(40)}${String(i).padStart(3, '0')}`;
const writerId = () => writer.key.split('.')[0]!;
const wrongSecret = () => `${writerId()}.${'B'.repeat(43)}`;

describe('R33 ITSM API lockout (real Redis, over HTTP)', () => {
  test("R33 attack: 100 bad keys from one address lock out that address's guessing — and the valid key from the same address still works", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++)
      statuses.push((await call({ from: '127.0.0.1', key: i % 2 ? badKey(i) : wrongSecret() })).status);
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(30).every((s) => s === 429)).toBe(true);
    const locked = await call({ from: '127.0.0.1', key: badKey(500) });
    expect(locked).toMatchObject({ status: 429, body: { error: 'rate_limited' } });
    expect(Number(locked.retryAfter)).toBeGreaterThan(0);
    // A direct client cannot pick another address with a header: X-Forwarded-For from an untrusted peer is ignored.
    expect((await call({ from: '127.0.0.1', key: badKey(501), forwardedFor: '198.51.100.77' })).status).toBe(429);
    // The legitimate path: the verified key, from the very same address, is never refused because of those failures.
    expect(await call({ from: '127.0.0.1', key: writer.key })).toMatchObject({
      status: 404,
      body: { error: 'not_found' },
    });
    const created = await call({
      from: '127.0.0.1',
      key: writer.key,
      method: 'POST',
      body: { user: MEGAN_UPN, purpose: 'reset', agent: DIEGO_UPN },
    });
    expect(created.status).toBe(201);
    // Another client is not affected.
    expect((await call({ from: '127.0.0.3', key: badKey(502) })).status).toBe(401);
  });

  test('R33 attack: the admin API the same way — bad keys from one address are locked out there, a verified key from that address still reads the insights', async () => {
    let out = '';
    expect(
      await runHelpdeskKeys(
        ['create', '--name', 'Reporting', '--scopes', 'insights:read', '--json'],
        { REDIS_URL: redis.url },
        { out: (s) => (out += s), err: () => undefined },
      ),
    ).toBe(0);
    const reporting = (JSON.parse(out) as { key: string }).key;
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++)
      statuses.push((await call({ from: '127.0.0.4', key: badKey(3000 + i), path: '/api/admin/insights' })).status);
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(30).every((s) => s === 429)).toBe(true);
    expect((await call({ from: '127.0.0.4', key: reporting, path: '/api/admin/insights' })).status).toBe(200);
  });

  test('R33 attack: behind the trusted proxy, bad keys are limited per forwarded client address, not for everyone behind the proxy; a forged left-most hop does not help', async () => {
    const attacker = '203.0.113.7';
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++)
      statuses.push((await call({ from: PROXY, key: badKey(1000 + i), forwardedFor: attacker })).status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(30);
    expect(statuses.slice(30).every((s) => s === 429)).toBe(true);
    // The attacker prepends a fake hop; the proxy appended the real one (right-most untrusted hop counts).
    expect((await call({ from: PROXY, key: badKey(2000), forwardedFor: `198.51.100.1, ${attacker}` })).status).toBe(
      429,
    );
    // ... and a trusted hop (10.9.0.0/16, an inner proxy) right of the client is skipped, not taken as the client.
    expect((await call({ from: PROXY, key: badKey(2001), forwardedFor: `${attacker}, 10.9.3.4` })).status).toBe(429);
    // Another client behind the same proxy is not locked out.
    expect((await call({ from: PROXY, key: badKey(2002), forwardedFor: '203.0.113.8' })).status).toBe(401);
    // The verified key from the locked-out client address still works.
    expect(await call({ from: PROXY, key: writer.key, forwardedFor: attacker })).toMatchObject({
      status: 404,
      body: { error: 'not_found' },
    });
  });
  test('R33 attack: an IPv6 client rotating through the addresses of its own /64 is still one client — locked out after the limit; another /64 and the verified key are not', async () => {
    // One host is handed a whole /64; each request from a fresh address of it must not open a fresh counter.
    const from = (i: number) => `2001:db8:7:1:${(i + 1).toString(16)}:0:0:${(i * 7 + 3).toString(16)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++)
      statuses.push((await call({ from: PROXY, key: badKey(3000 + i), forwardedFor: from(i) })).status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(30);
    expect(statuses.slice(30).every((s) => s === 429)).toBe(true);
    // Spelt differently (leading zeros, upper case, compressed) it is the same /64.
    expect((await call({ from: PROXY, key: badKey(3100), forwardedFor: '2001:0DB8:0007:0001::beef' })).status).toBe(
      429,
    );
    // A neighbouring /64 is another client.
    expect((await call({ from: PROXY, key: badKey(3101), forwardedFor: '2001:db8:7:2::1' })).status).toBe(401);
    // The verified key from inside the locked-out /64 still works.
    expect(await call({ from: PROXY, key: writer.key, forwardedFor: from(99) })).toMatchObject({
      status: 404,
      body: { error: 'not_found' },
    });
  });

  test('R33 attack: when the proxy\'s own hop is not an address ("unknown"), a forged hop to its left does not choose the client — rotating it opens no fresh counters', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++)
      statuses.push(
        (await call({ from: PROXY, key: badKey(4000 + i), forwardedFor: `198.51.100.${i + 10}, unknown` })).status,
      );
    expect(statuses.filter((s) => s === 401)).toHaveLength(30);
    expect(statuses.slice(30).every((s) => s === 429)).toBe(true);
    // A client the proxy named properly is not affected, and the verified key still works with that header.
    expect((await call({ from: PROXY, key: badKey(4100), forwardedFor: '203.0.113.50' })).status).toBe(401);
    expect(await call({ from: PROXY, key: writer.key, forwardedFor: '198.51.100.10, unknown' })).toMatchObject({
      status: 404,
      body: { error: 'not_found' },
    });
  });
});
