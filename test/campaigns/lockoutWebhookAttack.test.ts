/**
 * The SIEM lockout webhook (`POST /api/campaigns/lockout`) attacked by whoever holds its secret — a compromised or
 * misconfigured SIEM — over HTTP against the real app on real Redis with a real directory (slapd: like Graph and AD,
 * it looks a user up by object id alone, so the tenant in the body is the bot's to check).
 */
import { createHmac } from 'node:crypto';
import { startApp, type RunningApp } from '../support/appHarness';
import { rawRequest } from '../support/rawHttp';
import { startRedis, type RedisServer } from '../support/redisServer';
import { Slapd, SLAPD_BASE, SLAPD_SERVICE_DN, SLAPD_SERVICE_PASSWORD, type SlapdUser } from '../support/slapd';
import { LdapDirectory } from '../../adapters/directory/ldapDirectory';

jest.setTimeout(180_000);

const SECRET = 'lockout-webhook-secret-for-attack-tests-0123456789';
const TENANT = '00000000-0000-0000-0000-0000000000cc';
const OTHER_TENANT = '99999999-9999-4999-8999-999999999999';
const PATH = '/api/campaigns/lockout';

const person = (uid: string, n: number): SlapdUser => ({
  uid,
  objectId: `dddddddd-0000-4000-8000-${String(n).padStart(12, '0')}`,
  givenName: uid,
  surname: 'Tester',
  password: `Initial-${uid}-Pass-1x`,
});
const fern = person('fern', 1);
const gus = person('gus', 2);

let slapd: Slapd;
let redis: RedisServer;
let running: RunningApp;

beforeAll(async () => {
  slapd = new Slapd({ users: [fern, gus] });
  await slapd.start();
  redis = await startRedis();
  const directory = new LdapDirectory({
    url: slapd.url,
    allowInsecure: true,
    dialect: 'openldap',
    bindDn: SLAPD_SERVICE_DN,
    bindPassword: SLAPD_SERVICE_PASSWORD,
    baseDn: `ou=people,${SLAPD_BASE}`,
    passwordPolicyDn: `cn=default,ou=policies,${SLAPD_BASE}`,
    timeoutMs: 5000,
  });
  running = await startApp(
    { REDIS_URL: redis.url, LOCKOUT_WEBHOOK_SECRET: SECRET, CAMPAIGN_TENANT_ID: TENANT, ALLOWED_TENANTS: TENANT, CAMPAIGNS_IN_PROCESS: 'false' },
    { services: { directory } },
  );
  for (let i = 0; i < 100 && (await fetch(`${running.baseUrl}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
});
afterAll(async () => {
  await running?.close();
  await redis?.destroy();
  await slapd?.stop();
});

async function report(body: { tenantId: string; objectId: string; lockedAt: string }): Promise<{ status: number; body: unknown }> {
  const raw = JSON.stringify(body);
  const ts = Math.floor(Date.now() / 1000);
  const sig = createHmac('sha256', SECRET).update(`${ts}.`).update(raw).digest('hex');
  const r = await rawRequest(running.baseUrl, {
    path: PATH,
    headers: { 'content-type': 'application/json', 'x-sspr-timestamp': String(ts), 'x-sspr-signature': `sha256=${sig}` },
    body: raw,
  });
  return { status: r.status, body: JSON.parse(r.body) as unknown };
}
const at = (msFromNow: number): string => new Date(Date.now() + msFromNow).toISOString();

test('R39 attack: a signed report of a lock a day in the future is not announced ("locked at" a time that has not come), and the true report after it still is', async () => {
  expect(await report({ tenantId: TENANT, objectId: fern.objectId, lockedAt: at(86_400_000) })).toEqual({ status: 202, body: { queued: false } });
  expect(await report({ tenantId: TENANT, objectId: fern.objectId, lockedAt: at(-60_000) })).toEqual({ status: 202, body: { queued: true } });
});

test('R2 R39 attack: a signed report naming another tenant with a real user’s object id is not queued (the directory looks users up by object id alone); the same user in the bot’s tenant is', async () => {
  for (const tenantId of [OTHER_TENANT, '11111111-1111-4111-8111-111111111111'])
    expect(await report({ tenantId, objectId: gus.objectId, lockedAt: at(-60_000) })).toEqual({ status: 202, body: { queued: false } });
  expect(await report({ tenantId: TENANT.toUpperCase(), objectId: gus.objectId.toUpperCase(), lockedAt: at(-60_000) })).toEqual({ status: 202, body: { queued: true } });
});
