import type Redis from 'ioredis';
import { performance } from 'node:perf_hooks';
import type { StartRecoveryAnswer } from '../../../domain/recovery/startRecovery';
import { confirmed } from '../../support/recoveryFakes';
import { recoveryRig } from '../../support/recoveryHarness';
import { startRedis, type RedisServer } from '../../support/redisServer';
import { ready } from './steps';

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

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

test('R17: unknown, disabled, unregistered, blocked and throttled users get the same answer and the same timing', async () => {
  const rig = recoveryRig({ redis });
  const methods = [confirmed('sms', 'mobilePhone', { phoneKey: 'p1' }), confirmed('mail', 'email')];
  const u = (id: string) => ({ tenantId: 't1', objectId: id });
  const cases = {
    unknown: u('nobody'),
    disabled: u('disabled'),
    unregistered: u('unregistered'),
    blocked: u('blocked'),
    throttled: u('throttled'),
  };
  rig.directory.add(cases.disabled, { enabled: false });
  rig.directory.add(cases.unregistered);
  rig.directory.add(cases.blocked);
  rig.directory.add(cases.throttled);
  for (const user of [cases.unknown, cases.disabled, cases.blocked, cases.throttled]) rig.methods.set(user, methods);
  for (let i = 0; i < 5; i++) await rig.deps.block.recordFailure(cases.blocked);
  for (let i = 0; i < rig.policy.resets.maxPerWindow; i++) await rig.deps.counter.record(cases.throttled, rig.policy.resets.windowDays * 86_400_000);

  const times: Record<string, number[]> = {};
  const answers: Record<string, StartRecoveryAnswer> = {};
  for (let i = 0; i < 200; i++) {
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
  // The precise reason exists, but only for the audit log.
  expect(Object.values(answers).map((a) => (a.ok ? '' : a.auditReason))).toEqual([
    'user_unknown',
    'account_disabled',
    'not_registered',
    'blocked',
    'throttled',
  ]);
  expect(new Set(rig.audit.events.map((e) => e.reason)).size).toBe(5);

  const medians = Object.values(times).map(median);
  expect(Math.max(...medians) - Math.min(...medians)).toBeLessThan(50);
  // no flow was created for any of them
  expect(await redis.keys('test:*:flow:*')).toEqual([]);
});
