import type Redis from 'ioredis';
import { MemoryFlowStore } from '../../../adapters/memory/memoryFlowStore';
import { MemoryGrantStore } from '../../../adapters/memory/memoryGrantStore';
import { MemoryRecoveryCounter } from '../../../adapters/memory/memoryRecoveryCounter';
import { MemoryVerificationBlock } from '../../../adapters/memory/memoryVerificationBlock';
import { RedisFlowStore } from '../../../adapters/redis/redisFlowStore';
import { RedisGrantStore } from '../../../adapters/redis/redisGrantStore';
import { RedisRecoveryCounter } from '../../../adapters/redis/redisRecoveryCounter';
import { RedisVerificationBlock } from '../../../adapters/redis/redisVerificationBlock';
import type { FlowStore } from '../../../domain/ports/flowStore';
import type { GrantStore } from '../../../domain/ports/grantStore';
import type { RecoveryCounter } from '../../../domain/ports/recoveryCounter';
import type { VerificationBlock } from '../../../domain/ports/verificationBlock';
import type { FlowRecord } from '../../../domain/verification/stateMachine';
import { FixedClock } from '../../support/fixedClock';
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

const times = { lifetimeMs: 600_000, maxFlowMs: 900_000 };
const blockSettings = { threshold: 5, windowMs: 86_400_000, blockMs: 86_400_000 };
interface Ports {
  flows: FlowStore;
  grants: GrantStore;
  block: VerificationBlock;
  counter: RecoveryCounter;
}
let seq = 0;
const impls: [string, (c: FixedClock) => Ports][] = [
  [
    'memory',
    (c) => {
      const counter = new MemoryRecoveryCounter(c);
      return { flows: new MemoryFlowStore(c), grants: new MemoryGrantStore(c, times, counter), block: new MemoryVerificationBlock(c, blockSettings), counter };
    },
  ],
  [
    'redis',
    (c) => {
      const o = { prefix: `contract${++seq}:`, clock: c };
      return { flows: new RedisFlowStore(redis, o), grants: new RedisGrantStore(redis, o, times), block: new RedisVerificationBlock(redis, o, blockSettings), counter: new RedisRecoveryCounter(redis, o) };
    },
  ],
];

const user = { tenantId: 't', objectId: 'o' };

describe.each(impls)('recovery port contract: %s', (_name, make) => {
  test('R16: flows are compare-and-set and found only under their user', async () => {
    const clock = new FixedClock();
    const { flows } = make(clock);
    const flow: FlowRecord = {
      flowId: 'f1', user, conversationId: 'c', goal: 'reset', startedAt: clock.now(), expiresAt: clock.now() + 900_000,
      required: 2, privileged: false, state: { name: 'choosingMethod', proved: [] }, version: 0,
    };
    await flows.create(flow);
    await expect(flows.create(flow)).rejects.toMatchObject({ code: 'state_conflict' });
    expect(await flows.get({ tenantId: 't', objectId: 'other' }, 'f1')).toBeNull();
    const next = await flows.advance(user, 'f1', 0, { name: 'challengeSent', proved: [], methodId: 'm' });
    expect(next?.version).toBe(1);
    expect(await flows.advance(user, 'f1', 0, { name: 'expired' })).toBeNull();
    expect((await flows.get(user, 'f1'))?.state).toEqual({ name: 'challengeSent', proved: [], methodId: 'm' });
  });

  test('R16 R27: a grant is claimed once, released on refusal, and settled only by its claimant', async () => {
    const clock = new FixedClock();
    const { grants } = make(clock);
    const g = await grants.issue({ user, conversationId: 'c', flowId: 'f', goal: 'reset', flowStartedAt: clock.now() - 600_000 });
    expect(g.expiresAt).toBe(clock.now() + 300_000); // capped at 15 min from the flow start
    expect(await grants.claim(user, 'c', 'f', 'unlock', 'a0')).toEqual({ ok: false, reason: 'no_grant' });
    expect(await grants.claim(user, 'x', 'f', 'reset', 'a0')).toEqual({ ok: false, reason: 'wrong_conversation' });
    const c1 = await grants.claim(user, 'c', 'f', 'reset', 'a1');
    expect(c1.ok).toBe(true);
    expect(await grants.claim(user, 'c', 'f', 'reset', 'a2')).toEqual({ ok: false, reason: 'in_progress' });
    await grants.settle(user, 'f', 'a2', 'consumed'); // not the claimant: ignored
    expect(await grants.state(user, 'f')).toBe('writing');
    await grants.settle(user, 'f', 'a1', 'released');
    expect(await grants.state(user, 'f')).toBe('ready');
    expect((await grants.claim(user, 'c', 'f', 'reset', 'a3')).ok).toBe(true);
    await grants.settle(user, 'f', 'a3', 'consumed');
    expect(await grants.claim(user, 'c', 'f', 'reset', 'a4')).toEqual({ ok: false, reason: 'consumed' });
  });

  test('C6: a claim with a slot reserves one recovery atomically; a full window refuses with its completions; released and spent give the slot back, consumed keeps it', async () => {
    const clock = new FixedClock();
    const { grants, counter } = make(clock);
    const day = 86_400_000;
    const slot = { max: 1, windowMs: day };
    for (const f of ['f1', 'f2']) await grants.issue({ user, conversationId: 'c', flowId: f, goal: 'reset', flowStartedAt: clock.now() });
    const t0 = clock.now();
    expect((await grants.claim(user, 'c', 'f1', 'reset', 'a1', slot)).ok).toBe(true);
    expect(await counter.recent(user, day)).toEqual([t0]);
    clock.advance(1000);
    // The other grant: the one slot is taken by the write in progress; nothing of f2 changed.
    expect(await grants.claim(user, 'c', 'f2', 'reset', 'b1', slot)).toEqual({ ok: false, reason: 'recovery_cap', completions: [t0] });
    expect(await grants.state(user, 'f2')).toBe('ready');
    await grants.settle(user, 'f1', 'a1', 'released');
    expect(await counter.recent(user, day)).toEqual([]);
    expect((await grants.claim(user, 'c', 'f2', 'reset', 'b2', slot)).ok).toBe(true);
    await grants.settle(user, 'f2', 'b2', 'spent');
    expect(await counter.recent(user, day)).toEqual([]);
    expect((await grants.claim(user, 'c', 'f1', 'reset', 'a2', slot)).ok).toBe(true);
    await grants.settle(user, 'f1', 'a2', 'consumed');
    expect(await counter.recent(user, day)).toEqual([clock.now()]);
  });

  test('R9: five failures block from the last one; clear resets', async () => {
    const clock = new FixedClock();
    const { block } = make(clock);
    for (let i = 1; i <= 4; i++) expect(await block.recordFailure(user)).toEqual({ failures: i, blockedUntil: null });
    clock.advance(1000);
    expect(await block.recordFailure(user)).toEqual({ failures: 5, blockedUntil: clock.now() + 86_400_000 });
    await block.clear(user);
    expect(await block.blockedUntil(user)).toBeNull();
  });

  test('C6: the reset/unlock counter keeps completions in a sliding window of the length asked for', async () => {
    const clock = new FixedClock();
    const { counter } = make(clock);
    const day = 86_400_000;
    const first = clock.now();
    await counter.record(user, 3 * day);
    clock.advance(3_600_000);
    expect(await counter.record(user, 3 * day)).toBe(2);
    clock.advance(day);
    expect(await counter.recent(user, 3 * day)).toEqual([first, first + 3_600_000]);
    clock.advance(2 * day - 3_600_000); // exactly three days after the first: it has left the window
    expect(await counter.recent(user, 3 * day)).toEqual([first + 3_600_000]);
    clock.advance(3_600_000);
    expect(await counter.recent(user, 3 * day)).toEqual([]);
  });
});

test('F17: without a test clock the Redis adapters decide expiry from Redis TIME, not the local clock', async () => {
  const grants = new RedisGrantStore(redis, { prefix: 'f17:' }, times);
  const [sec, usec] = await redis.time();
  const redisNow = Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
  const skew = jest.spyOn(Date, 'now').mockReturnValue(redisNow + 90_000); // this instance's clock is 90 s ahead
  const g = await grants.issue({ user, conversationId: 'c', flowId: 'f', goal: 'reset', flowStartedAt: redisNow });
  expect(Math.abs(g.issuedAt - redisNow)).toBeLessThan(1000);
  expect(g.expiresAt - g.issuedAt).toBe(600_000);
  const block = new RedisVerificationBlock(redis, { prefix: 'f17:' }, { threshold: 1, windowMs: 60_000, blockMs: 60_000 });
  const r = await block.recordFailure(user);
  expect(Math.abs(r.blockedUntil! - (redisNow + 60_000))).toBeLessThan(1000);
  const keys = await redis.keys('f17:*');
  expect(keys.every((k) => k.startsWith('f17:{u:t:o}:'))).toBe(true); // F20: one hash tag per user
  skew.mockRestore();
});
