import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { parsePolicy, ConfigError } from '../../../bot/config';
import { DEFAULT_POLICY, type Policy } from '../../../domain/policy/policy';
import { judgeRecoveryCap } from '../../../domain/policy/recoveryCap';
import type { UserRef } from '../../../domain/model/user';
import { DEMO_TENANT, post, replyText, teamsActivity } from '../../support/activities';
import { startApp } from '../../support/appHarness';
import { JwksRig, LIDIA, LIDIA_PASSWORD, pagesEnv, verifiedResetFlow } from '../../api/pagesRig';
import { MemoryDirectory } from '../../../adapters/directory/memoryDirectory';
import { ConnectorStub } from '../../support/connectorStub';
import { FixedClock } from '../../support/fixedClock';
import { confirmed } from '../../support/recoveryFakes';
import { recoveryRig, type RecoveryRig } from '../../support/recoveryHarness';
import { startRedis, type RedisServer } from '../../support/redisServer';
import { ready, verifyFully } from './steps';

/**
 * C6: at most N resets/unlocks per user in any sliding window of M days (policy.resets), enforced by the domain
 * use-cases every surface goes through — StartRecovery (the chat's pre-check, the helpdesk hand-off's start) and the
 * one write of ResetPassword / UnlockAccount (chat card, the dialog page's ChooseNewPassword, a hand-off flow) —
 * counted on real Redis.
 */

const DAY = 86_400_000;
const CAP: Policy = { ...DEFAULT_POLICY, resets: { maxPerWindow: 3, windowDays: 7 } };

let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
  await ready(redis);
});
afterAll(async () => {
  redis.disconnect();
  await server.destroy();
});
beforeEach(async () => {
  await redis.flushall();
});

/** The app's own Redis connection queues nothing while it connects: wait until /readyz says it is up. */
async function untilReady(baseUrl: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (await fetch(`${baseUrl}/readyz`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the app did not become ready');
}

const methods = [confirmed('sms', 'mobilePhone', { phoneKey: 'p1' }), confirmed('mail', 'email')];

function rigFor(policy: Policy = CAP): { rig: RecoveryRig; user: UserRef } {
  const rig = recoveryRig({ redis, policy, clock: new FixedClock(Date.UTC(2026, 11, 1, 9, 0, 0)) });
  const user = { tenantId: 't1', objectId: 'cap-user' };
  rig.directory.add(user);
  rig.methods.set(user, methods);
  return { rig, user };
}

async function resetOnce(rig: RecoveryRig, user: UserRef, conv: string): Promise<{ ok: boolean; reason?: string; retryAt?: number }> {
  const flowId = await verifyFully(rig, user, conv);
  const r = await rig.reset.execute({ user, conversationId: conv, flowId, newPassword: `Cap-${conv}-Harbour-7`, correlationId: `c-${conv}` });
  return r.ok ? { ok: true } : { ok: false, reason: r.reason, ...(r.retryAt !== undefined ? { retryAt: r.retryAt } : {}) };
}

describe('C6: N resets/unlocks per M days, sliding (real Redis)', () => {
  test('C6: the N-th in the window is allowed, the N+1-th refused with the time one slides out, allowed again after the slide', async () => {
    const { rig, user } = rigFor();
    const t0 = rig.clock.now();
    expect(await resetOnce(rig, user, 'a')).toEqual({ ok: true });
    rig.clock.advance(2 * DAY);
    // An unlock counts toward the same cap.
    rig.directory.add(user, { locked: true, lockedAt: rig.clock.now() });
    const unlockFlow = await verifyFully(rig, user, 'b', 'unlock');
    expect(await rig.unlock.execute({ user, conversationId: 'b', flowId: unlockFlow, correlationId: 'c-b' })).toEqual({ ok: true, value: { unlocked: true } });
    rig.clock.advance(2 * DAY);
    expect(await resetOnce(rig, user, 'c')).toEqual({ ok: true }); // the 3rd (N-th) in 7 days: allowed
    const third = rig.clock.now();

    rig.clock.advance(DAY); // day 5: three in the window
    const refused = await rig.start.execute({ user, conversationId: 'd', goal: 'reset', correlationId: 'c-d' });
    // The first completion (t0) leaves the window at t0 + 7 days: then two are left and one more may go ahead.
    expect(refused).toEqual({ ok: false, publicReason: 'cannot_continue', auditReason: 'throttled', retryAt: t0 + 7 * DAY });
    expect((await rig.start.check({ user, correlationId: 'c-check' })).retryAt).toBe(t0 + 7 * DAY);
    expect(rig.audit.types()).toContain('recovery.reset.start:refused:throttled');

    rig.clock.set(t0 + 7 * DAY - 1); // one millisecond before the slide: still refused
    expect(await rig.start.execute({ user, conversationId: 'e', goal: 'reset', correlationId: 'c-e' })).toMatchObject({ ok: false, auditReason: 'throttled' });
    rig.clock.set(t0 + 7 * DAY); // the window has slid past the first one
    expect(await resetOnce(rig, user, 'f')).toEqual({ ok: true });
    // …and now it is full again until the second completion (the unlock, t0 + 2 days) slides out.
    expect(await rig.start.execute({ user, conversationId: 'g', goal: 'reset', correlationId: 'c-g' })).toMatchObject({ ok: false, retryAt: t0 + 2 * DAY + 7 * DAY });
    expect(third).toBe(t0 + 4 * DAY);
    // Redis keeps the completions no longer than the window.
    const ttl = await redis.pttl('test:{u:t1:cap-user}:recoveries');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(7 * DAY);
  });

  test('C6: the write itself is capped — a grant verified before the cap was reached is refused at the write with retryAt, nothing written', async () => {
    const { rig, user } = rigFor({ ...DEFAULT_POLICY, resets: { maxPerWindow: 1, windowDays: 2 } });
    const t0 = rig.clock.now();
    const early = await verifyFully(rig, user, 'early'); // verified while nothing was counted yet
    expect(await resetOnce(rig, user, 'other')).toEqual({ ok: true }); // another conversation uses the one allowed
    const writesBefore = rig.directory.writes.length;
    const r = await rig.reset.execute({ user, conversationId: 'early', flowId: early, newPassword: 'Late-Grant-Maple-9', correlationId: 'c-early' });
    expect(r).toEqual({ ok: false, reason: 'recovery_cap', retryAt: t0 + 2 * DAY });
    expect(rig.directory.writes.length).toBe(writesBefore);
    expect(rig.audit.types()).toContain('recovery.password_reset:refused:recovery_cap');
  });


  test('C6: two verified grants of one user submitted at once with a cap of 1 — exactly one reset (the slot is reserved with the claim, in one script)', async () => {
    const { rig, user } = rigFor({ ...DEFAULT_POLICY, resets: { maxPerWindow: 1, windowDays: 2 } });
    const a = await verifyFully(rig, user, 'race-a');
    const b = await verifyFully(rig, user, 'race-b');
    const submit = (conv: string, flowId: string) =>
      rig.reset.execute({ user, conversationId: conv, flowId, newPassword: `Race-${conv}-Harbour-7`, correlationId: `c-${conv}` });
    const answers = await Promise.all([submit('race-a', a), submit('race-b', b)]);
    expect(answers.filter((r) => r.ok)).toHaveLength(1);
    expect(answers.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.reason))).toEqual(['recovery_cap']);
    expect(rig.directory.writes.filter((w) => w.op === 'setPassword')).toHaveLength(1);
    // The one completion is what the window holds (the reservation became the record, nothing counted twice).
    expect(await rig.deps.counter.recent(user, 2 * DAY)).toHaveLength(1);
  });

  test('C6: a password the directory refuses gives the reserved slot back — the next password with the same grant may go ahead (cap 1)', async () => {
    const { rig, user } = rigFor({ ...DEFAULT_POLICY, resets: { maxPerWindow: 1, windowDays: 2 } });
    const flowId = await verifyFully(rig, user, 'refused');
    rig.directory.faults.refuse = 'history';
    const first = await rig.reset.execute({ user, conversationId: 'refused', flowId, newPassword: 'Old-Password-Harbour-7', correlationId: 'c-r1' });
    expect(first).toEqual({ ok: false, reason: 'password_history' });
    expect(await rig.deps.counter.recent(user, 2 * DAY)).toEqual([]);
    delete rig.directory.faults.refuse;
    const second = await rig.reset.execute({ user, conversationId: 'refused', flowId, newPassword: 'New-Password-Harbour-8', correlationId: 'c-r2' });
    expect(second.ok).toBe(true);
    expect(await rig.deps.counter.recent(user, 2 * DAY)).toHaveLength(1);
  });
  test('C6: judgeRecoveryCap: boundaries of the sliding window, any order of completions', () => {
    const p = { maxPerWindow: 2, windowDays: 1 };
    expect(judgeRecoveryCap(p, [], 0)).toEqual({ allowed: true, used: 0 });
    expect(judgeRecoveryCap(p, [10], 100)).toEqual({ allowed: true, used: 1 });
    expect(judgeRecoveryCap(p, [50, 10], 100)).toEqual({ allowed: false, used: 2, retryAt: 10 + DAY });
    expect(judgeRecoveryCap(p, [50, 10], 10 + DAY)).toEqual({ allowed: true, used: 1 });
    expect(judgeRecoveryCap(p, [10, 20, 30], 40)).toEqual({ allowed: false, used: 3, retryAt: 20 + DAY });
  });

  test('C6: policy resets.maxPerWindow / windowDays are validated; the former maxPerDay is refused with what replaced it', () => {
    expect(parsePolicy({ resets: { maxPerWindow: 4, windowDays: 30 } }).resets).toEqual({ maxPerWindow: 4, windowDays: 30 });
    expect(parsePolicy({}).resets).toEqual({ maxPerWindow: 5, windowDays: 1 });
    for (const bad of [{ maxPerWindow: 0 }, { windowDays: 0 }, { windowDays: 91 }, { maxPerWindow: 2.5 }, { perWeek: 3 }]) {
      expect(() => parsePolicy({ resets: bad })).toThrow(ConfigError);
    }
    expect(() => parsePolicy({ resets: { maxPerDay: 5 } })).toThrow(/maxPerWindow.*windowDays/);
  });
});

describe('C6 in the chat: the user is told when, in their time zone, and offered the helpdesk', () => {
  test('C6: over the cap the pre-check card says "try again from HH:MM" in the turn\'s time zone (en, nl) with a helpdesk button', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sspr-cap-'));
    const policy = JSON.parse(readFileSync('config/policy.default.json', 'utf8')) as Record<string, unknown>;
    policy['resets'] = { maxPerWindow: 2, windowDays: 3 };
    const policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify(policy));
    const stub = new ConnectorStub();
    await stub.start();
    const clock = new FixedClock(Date.UTC(2026, 11, 1, 9, 0, 0));
    const run = await startApp({ REDIS_URL: server.url, POLICY_FILE: policyFile, REDIS_KEY_PREFIX: 'cap:' }, { services: { clock } });
    try {
      await untilReady(run.baseUrl);
      const megan = { tenantId: DEMO_TENANT, objectId: '6e7b768e-07e2-4810-8459-485f84f8f204' };
      const now = clock.now();
      await run.app.services.security.methods.save(megan, {
        method: { id: 'mail', kind: 'email', maskedDestination: 'm•••@fabrikam.example', confirmedAt: now, lastUsedAt: null, createdAt: now, source: 'user', channels: ['email'] },
        secrets: { destination: 'megan.bowen@fabrikam.example' },
      });
      await run.app.services.security.methods.save(megan, {
        method: { id: 'mobile', kind: 'mobilePhone', maskedDestination: '•••••••••78', confirmedAt: now, lastUsedAt: null, createdAt: now, source: 'user', channels: ['sms', 'voice'] },
        secrets: { destination: '+31612345678' },
      });
      const counter = run.app.services.recovery.deps.counter;
      clock.set(Date.UTC(2026, 11, 1, 9, 0, 0)); // first completion: 09:00 UTC
      await counter.record(megan, 3 * DAY);
      clock.set(Date.UTC(2026, 11, 2, 9, 0, 0));
      await counter.record(megan, 3 * DAY);
      clock.set(Date.UTC(2026, 11, 3, 12, 0, 0)); // the first slides out on 4 Dec at 09:00 UTC = 10:00 Amsterdam

      const ask = async (locale: string, text: string) => {
        const a = teamsActivity({ userObjectId: megan.objectId, conversationId: `a:${megan.objectId}:${locale}`, serviceUrl: stub.url, locale, text });
        a['localTimezone'] = 'Europe/Amsterdam';
        const res = await post(run.baseUrl, a);
        expect(res.status).toBe(200);
        return { text: replyText(res.replies), json: JSON.stringify(res.replies) };
      };
      const en = await ask('en-GB', 'reset my password');
      expect(en.text).toContain("You've reached the limit for now");
      expect(en.text).toMatch(/try again from .*10:00/);
      expect(en.text).not.toContain('09:00');
      expect(en.json).toContain('"verb":"helpdesk"');
      expect(en.text).toContain('Talk to the helpdesk');
      const nl = await ask('nl-NL', 'wachtwoord vergeten');
      expect(nl.text).toContain('Je hebt de limiet voorlopig bereikt');
      expect(nl.text).toMatch(/vanaf .*10:00/);

      // At 10:00 Amsterdam the window has slid: the same user gets the method choice.
      clock.set(Date.UTC(2026, 11, 4, 9, 0, 0));
      expect((await ask('en-GB', 'reset my password')).text).not.toContain("You've reached the limit");
    } finally {
      await run.close();
      await stub.stop();
    }
  });
});

describe('C6 on the dialog page: the same cap, told with the time', () => {
  test('C6: over the cap the password page\'s submit is refused (429 recovery_cap, retryAt), nothing written; allowed after the slide', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sspr-cap-page-'));
    const policy = JSON.parse(readFileSync('config/policy.default.json', 'utf8')) as Record<string, unknown>;
    policy['resets'] = { maxPerWindow: 1, windowDays: 2 };
    const policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify(policy));
    const jwks = new JwksRig();
    await jwks.start();
    const clock = new FixedClock(Date.now());
    const run = await startApp(pagesEnv(jwks.url, { REDIS_URL: server.url, POLICY_FILE: policyFile, REDIS_KEY_PREFIX: 'cappage:' }), { services: { clock } });
    try {
      await untilReady(run.baseUrl);
      const directory = run.app.services.directory as MemoryDirectory;
      const counted = clock.now();
      await run.app.services.recovery.deps.counter.record(LIDIA, 2 * DAY);
      clock.advance(DAY);
      const submit = async (flowId: string, password: string) => {
        const res = await fetch(`${run.baseUrl}/api/flows/${flowId}/password`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${await jwks.token(LIDIA)}` },
          body: JSON.stringify({ password, confirmation: password }),
        });
        return { status: res.status, json: (await res.json()) as Record<string, unknown> };
      };
      const flowId = await verifiedResetFlow(run.app, LIDIA, 'a:conv-lidia');
      const refused = await submit(flowId, 'Velvet-Harbour-Lantern-42!');
      expect(refused.status).toBe(429);
      expect(refused.json).toMatchObject({ error: 'recovery_cap', retryAt: new Date(counted + 2 * DAY).toISOString() });
      expect(await directory.verifyPassword(LIDIA.objectId, LIDIA_PASSWORD)).toBe(true);
      clock.set(counted + 2 * DAY);
      const later = await verifiedResetFlow(run.app, LIDIA, 'a:conv-lidia');
      expect(await submit(later, 'Velvet-Harbour-Lantern-42!')).toEqual({ status: 200, json: { status: 'done' } });
    } finally {
      await run.close();
      await jwks.stop();
    }
  });
});
