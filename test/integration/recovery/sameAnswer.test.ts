import type Redis from 'ioredis';
import { Attribute, Change, Client } from 'ldapts';
import { performance } from 'node:perf_hooks';
import { LdapDirectory } from '../../../adapters/directory/ldapDirectory';
import type { StartRecoveryAnswer } from '../../../domain/recovery/startRecovery';
import { confirmed } from '../../support/recoveryFakes';
import { recoveryRig } from '../../support/recoveryHarness';
import { startRedis, type RedisServer } from '../../support/redisServer';
import { Slapd, SLAPD_BASE, SLAPD_PRIVILEGED_GROUP, SLAPD_ROOT_DN, SLAPD_ROOT_PASSWORD, SLAPD_SERVICE_DN, SLAPD_SERVICE_PASSWORD } from '../../support/slapd';
import { ready } from './steps';

let server: RedisServer;
let redis: Redis;
let slapd: Slapd;

const TENANT = 't1';
const ROLES = ['disabled', 'unregistered', 'blocked', 'throttled'] as const;
const oid = (role: string): string => `00000000-0000-4000-8000-${Buffer.from(role).toString('hex').padEnd(12, '0').slice(0, 12)}`;

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
  await ready(redis);
  // R17 against a real directory (item 9 of the rule-book issue): the lookups that tell these users apart are real
  // LDAP searches, so a reason that costs the directory more (or less) would show in the timing.
  slapd = new Slapd({ users: ROLES.map((r) => ({ uid: r, objectId: oid(r), givenName: r, surname: 'Same', password: `${r}-Password-1` })), pwdMaxFailure: 3 });
  await slapd.start();
  const c = new Client({ url: slapd.url });
  try {
    await c.bind(SLAPD_ROOT_DN, SLAPD_ROOT_PASSWORD);
    // ppolicy's "locked by an administrator, for good": how OpenLDAP says disabled.
    await c.modify(slapd.userDn('disabled'), [new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdAccountLockedTime', values: ['000001010000Z'] }) })]);
  } finally {
    await c.unbind();
  }
});
afterAll(async () => {
  redis?.disconnect();
  await server?.destroy();
  await slapd?.stop();
});

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

test('R17: unknown, disabled, unregistered, blocked and throttled users get the same answer and the same timing (real slapd)', async () => {
  const directory = new LdapDirectory({
    url: slapd.url,
    dialect: 'openldap',
    bindDn: SLAPD_SERVICE_DN,
    bindPassword: SLAPD_SERVICE_PASSWORD,
    baseDn: `ou=people,${SLAPD_BASE}`,
    allowInsecure: true,
    privilegedGroups: [SLAPD_PRIVILEGED_GROUP],
    timeoutMs: 3000,
  });
  const rig = recoveryRig({ redis, liveDirectory: directory });
  const methods = [confirmed('sms', 'mobilePhone', { phoneKey: 'p1' }), confirmed('mail', 'email')];
  const u = (objectId: string) => ({ tenantId: TENANT, objectId });
  const cases = {
    unknown: u(oid('nobody')),
    disabled: u(oid('disabled')),
    unregistered: u(oid('unregistered')),
    blocked: u(oid('blocked')),
    throttled: u(oid('throttled')),
  };
  for (const user of [cases.unknown, cases.disabled, cases.blocked, cases.throttled]) rig.methods.set(user, methods);
  for (let i = 0; i < 5; i++) await rig.deps.block.recordFailure(cases.blocked);
  for (let i = 0; i < rig.policy.resets.maxPerWindow; i++) await rig.deps.counter.record(cases.throttled, rig.policy.resets.windowDays * 86_400_000);

  const times: Record<string, number[]> = {};
  const answers: Record<string, StartRecoveryAnswer> = {};
  for (let i = 0; i < 100; i++) {
    for (const [name, user] of Object.entries(cases)) {
      const t0 = performance.now();
      const a = await rig.start.execute({ user, conversationId: `conv-${name}`, goal: 'reset', correlationId: `c-${i}` });
      (times[name] ??= []).push(performance.now() - t0);
      answers[name] = a;
    }
  }

  // What the bot can show: identical for all five.
  const shown = Object.values(answers).map((a) => (a.ok ? 'ready' : JSON.stringify({ ok: a.ok, publicReason: a.publicReason })));
  expect(new Set(shown)).toEqual(new Set([JSON.stringify({ ok: false, publicReason: 'cannot_continue' })]));
  // The precise reason exists (read from the real directory), but only for the audit log.
  expect(Object.values(answers).map((a) => (a.ok ? '' : a.auditReason))).toEqual(['user_unknown', 'account_disabled', 'not_registered', 'blocked', 'throttled']);
  expect(new Set(rig.audit.events.map((e) => e.reason)).size).toBe(5);

  // Every reason costs the same lookups (R17). Measured here: an unknown user answers ~0.5 ms sooner than the
  // others (slapd finds no entry, so the adapter makes no membership read); the bound is a few LAN round trips.
  const medians = Object.values(times).map(median);
  console.log(`R17 medians (ms): ${Object.keys(times).map((k, i) => `${k} ${medians[i]!.toFixed(2)}`).join(", ")}`);
  expect(Math.max(...medians) - Math.min(...medians)).toBeLessThan(5);
  // no flow was created for any of them
  expect(await redis.keys('test:*:flow:*')).toEqual([]);
});
