import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type RunningApp } from '../support/appHarness';
import { FixedClock } from '../support/fixedClock';
import { startRedis, type RedisServer } from '../support/redisServer';
import { JwksRig, LIDIA, MEGAN, pagesEnv } from '../api/pagesRig';
import { createApiKeys } from '../../bot/api/helpdesk';
import { DEMO_ADMIN_GROUP_ID } from '../../bot/config';
import { CryptoRandom } from '../../adapters/crypto/cryptoRandom';
import { pseudonymOf } from '../../adapters/audit/jsonAuditLog';
import { DEMO_TENANT } from '../support/activities';
import { expectTheWeek, scriptedWeek, user, WEEK_START } from './insightsWeek';

jest.setTimeout(60_000);

const TOKEN_ADMIN_GROUP = '7d2b1c4e-9f3a-4b6d-8e1f-0a2c3b4d5e6f';
const ADELE = { tenantId: DEMO_TENANT, objectId: 'a1f0e0c4-5d2b-4a8e-b0f3-9c6d2e7f1b33' };
const DAY = 86_400_000;

describe('admin API: insights and the audit export (issue 14) on a private Redis with a local JWKS', () => {
  let redis: RedisServer;
  let jwks: JwksRig;
  let running: RunningApp;
  let auditDir: string;
  const clock = new FixedClock(WEEK_START);

  const get = async (path: string, auth?: string): Promise<{ status: number; text: string; json: any; type: string | null }> => {
    const res = await fetch(`${running.baseUrl}${path}`, { headers: auth ? { authorization: auth } : {} });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json, type: res.headers.get('content-type') };
  };

  beforeAll(async () => {
    redis = await startRedis();
    jwks = new JwksRig();
    await jwks.start();
    auditDir = mkdtempSync(join(tmpdir(), 'sspr-admin-'));
    running = await startApp(
      pagesEnv(jwks.url, {
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: 'adm:',
        AUDIT_SINKS: 'stdout,file',
        AUDIT_FILE_DIR: auditDir,
        AUDIT_INSTANCE: 'bot-1',
        ADMIN_GROUP_IDS: `${DEMO_ADMIN_GROUP_ID},${TOKEN_ADMIN_GROUP}`,
      }),
      { services: { clock } },
    );
    // The scripted week, event by event at its own time, through the app's audit log (trail + insights).
    const events = scriptedWeek()
      .flat()
      .sort((a, b) => a.at - b.at);
    for (const { at, event } of events) {
      clock.set(at);
      await running.app.services.audit.record(event);
    }
    // Megan (in the demo directory) appears in the trail too, to be found by her UPN.
    clock.set(WEEK_START + 3 * DAY);
    await running.app.services.audit.record({ type: 'recovery.reset.start', correlationId: 'megan-1', user: MEGAN, outcome: 'refused', reason: 'not_registered' });
    await running.app.insights.settled();
    clock.set(WEEK_START + 7 * DAY + 3_600_000);
  });

  afterAll(async () => {
    await running?.close();
    await jwks?.stop();
    await redis?.destroy();
    rmSync(auditDir, { recursive: true, force: true });
  });

  test('issue 14 acceptance 1: the scripted week gives the exact numbers on GET /api/admin/insights (admin by token group)', async () => {
    const token = await jwks.token(LIDIA, { claims: { groups: [TOKEN_ADMIN_GROUP] } });
    const r = await get('/api/admin/insights?from=2026-11-16&to=2026-11-22', `Bearer ${token}`);
    expect(r.status).toBe(200);
    // Megan's refused start on Thursday is one more "not_registered" and one more refusal than the week script.
    expect(r.json.funnel.reset.refused).toBe(4);
    expect(r.json.funnel.reset.topReasons).toContainEqual({ key: 'not_registered', count: 3 });
    const adjusted = { ...r.json, funnel: { ...r.json.funnel, reset: { ...r.json.funnel.reset, refused: 3, topReasons: r.json.funnel.reset.topReasons
      .map((x: { key: string; count: number }) => (x.key === 'not_registered' ? { ...x, count: 2 } : x))
      .sort((a: { key: string; count: number }, b: { key: string; count: number }) => b.count - a.count || a.key.localeCompare(b.key)) } } };
    expectTheWeek(adjusted);
    expect(r.json.storage).toMatchObject({ retentionDays: 400, groupCap: 100 });
  });

  test('R32: admin by directory group object id (token without groups); a non-admin and a bad token are refused', async () => {
    const adele = await get('/api/admin/insights?from=2026-11-16&to=2026-11-22', `Bearer ${await jwks.token(ADELE)}`);
    expect(adele.status).toBe(200);
    const lidia = await get('/api/admin/insights', `Bearer ${await jwks.token(LIDIA)}`);
    expect(lidia).toMatchObject({ status: 403, json: { error: 'not_admin' } });
    // A group *name* in the token never authorises (only object ids count).
    const named = await get('/api/admin/insights', `Bearer ${await jwks.token(LIDIA, { claims: { groups: ['Insights admins'] } })}`);
    expect(named.status).toBe(403);
    expect(await get('/api/admin/insights')).toMatchObject({ status: 401, json: { error: 'unauthorized' } });
    expect((await get('/api/admin/insights', `Bearer ${await jwks.token(ADELE, { rogue: true })}`)).status).toBe(401);
    // Development identity header: refused outside development mode (this app runs in development, so check the shape).
    const bad = await get('/api/admin/insights?from=2026-13-01', `Bearer ${await jwks.token(ADELE)}`);
    expect(bad).toMatchObject({ status: 400, json: { error: 'invalid_query' } });
    const long = await get('/api/admin/insights?from=2024-01-01&to=2026-11-22', `Bearer ${await jwks.token(ADELE)}`);
    expect(long).toMatchObject({ status: 400, json: { error: 'range_too_long' } });
  });

  test('G3: the audit export streams JSON Lines; a user is found by object id or UPN through the pseudonym', async () => {
    const keys = createApiKeys(running.app.config, running.app.state.apiKeys, clock, new CryptoRandom());
    const created = await keys.create('siem-export', ['audit:read']);
    if (!created.ok) throw new Error(created.reason);
    const auth = `ApiKey ${created.value.key}`;

    const all = await get('/api/admin/audit?from=2026-11-16&to=2026-11-22', auth);
    expect(all.status).toBe(200);
    expect(all.type).toContain('application/x-ndjson');
    const lines = all.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBe(scriptedWeek().flat().length + 1);
    expect(lines.every((l) => l.audit === true && typeof l.time === 'string')).toBe(true);

    const one = await get(`/api/admin/audit?from=2026-11-16&to=2026-11-22&user=${user(1).objectId.toUpperCase()}`, auth);
    const mine = one.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(mine.map((l) => l.type)).toEqual(['recovery.reset.start', 'code.send', 'verification.proof', 'verification.verified', 'recovery.password_reset']);
    expect(new Set(mine.map((l) => l.user))).toEqual(new Set([pseudonymOf(running.app.config.keys.auditPseudonym, user(1))]));

    const byUpn = await get('/api/admin/audit?from=2026-11-16&to=2026-11-22&user=megan.bowen@contoso.example', auth);
    expect(byUpn.text.trim().split('\n').map((l) => JSON.parse(l).correlationId)).toEqual(['megan-1']);
    expect(byUpn.text).not.toContain(MEGAN.objectId);

    // E2 (issue 13): a security alert's link names the event by its correlation id (ref): only that event's lines.
    const event = await get('/api/admin/audit?from=2026-11-16&to=2026-11-22&ref=megan-1', auth);
    expect(event.text.trim().split('\n').map((l) => JSON.parse(l).correlationId)).toEqual(['megan-1']);
    expect(await get('/api/admin/audit?ref=not%20an%20id', auth)).toMatchObject({ status: 400 });
    expect(await get('/api/admin/audit?user=nobody@contoso.example', auth)).toMatchObject({ status: 404, json: { error: 'user_unknown' } });
    // The key's scope is the audit only.
    expect(await get('/api/admin/insights', auth)).toMatchObject({ status: 403, json: { error: 'insufficient_scope' } });
    // An admin signed in to Teams may export too.
    const adele = await get(`/api/admin/audit?from=2026-11-16&to=2026-11-16`, `Bearer ${await jwks.token(ADELE)}`);
    expect(adele.status).toBe(200);
  });

  test('R20: every admin API call is audited with the caller (key id or pseudonymous admin), route and status', async () => {
    const calls = running.logs.lines.filter((l) => l.includes('"type":"admin.api_call"')).map((l) => JSON.parse(l));
    expect(calls.length).toBeGreaterThanOrEqual(10);
    expect(calls.some((c) => c.outcome === 'refused' && c.detail.status === 403 && c.reason === 'not_admin')).toBe(true);
    expect(calls.some((c) => c.outcome === 'success' && c.detail.route === '/api/admin/audit' && typeof c.detail.key === 'string' && c.detail.lines > 0)).toBe(true);
    expect(calls.some((c) => c.outcome === 'success' && c.user === pseudonymOf(running.app.config.keys.auditPseudonym, ADELE))).toBe(true);
    expect(running.logs.text).not.toContain(ADELE.objectId);
  });

  test('Prometheus business metrics count the same events (resets, unlocks, registrations, blocks, throttles, sends by kind)', async () => {
    const text = await running.app.metrics.registry.metrics();
    const value = (labels: string): number => Number(new RegExp(`sspr_business_events_total\\{${labels}\\} (\\d+)`).exec(text)?.[1] ?? -1);
    expect(value('event="reset",kind=""')).toBe(11);
    expect(value('event="unlock",kind=""')).toBe(2);
    expect(value('event="registration",kind=""')).toBe(13);
    expect(value('event="block",kind=""')).toBe(1);
    expect(value('event="throttle",kind=""')).toBe(4);
    expect(value('event="send",kind="sms"')).toBe(44);
    expect(value('event="send",kind="email"')).toBe(13);
  });

  test('registration coverage from the directory scan: users in scope, with enough methods, by kind', async () => {
    const now = clock.now();
    const save = (u: typeof MEGAN, kind: 'email' | 'mobilePhone') =>
      running.app.services.security.methods.save(u, {
        method: { id: kind, kind, maskedDestination: kind === 'email' ? 'm•••@fabrikam.example' : '•••••••••78', confirmedAt: now, lastUsedAt: null, createdAt: now, source: 'user', channels: kind === 'email' ? ['email'] : ['sms', 'voice'] },
        secrets: { destination: kind === 'email' ? 'megan.bowen@fabrikam.example' : '+31612345678' },
      });
    await save(MEGAN, 'email');
    await save(MEGAN, 'mobilePhone');
    await save(LIDIA, 'email');
    const snapshot = await running.app.insights.refreshCoverage();
    // Six demo users, one disabled; Megan has two kinds (policy: 2), Lidia one.
    expect(snapshot).toMatchObject({ usersInScope: 5, enoughMethods: 1, anyMethod: 2, byKind: { email: 2, mobilePhone: 1 } });
    const r = await get('/api/admin/insights', `Bearer ${await jwks.token(ADELE)}`);
    expect(r.json.coverage).toMatchObject({ usersInScope: 5, enoughMethods: 1, anyMethod: 2 });
  });
});
