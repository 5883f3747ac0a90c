import { execFileSync } from 'node:child_process';
import type { Redis } from 'ioredis';
import { loadConfig } from '../../bot/config';
import { createStateBackend } from '../../bot/state/stateBackend';
import { RedisStorage } from '../../bot/redisStorage';
import { BoundedMemoryStorage } from '../../bot/state/boundedMemoryStorage';
import { BoundedMap } from '../../adapters/memory/boundedMap';
import { MemoryConversationRefStore } from '../../adapters/memory/memoryConversationRefStore';
import type { FlowRecord } from '../../domain/verification/stateMachine';
import { FixedClock } from '../support/fixedClock';
import { startRedis, type RedisServer } from '../support/redisServer';
import { waitReady } from './helpers';

const config = loadConfig({ LOG_LEVEL: 'silent' });
const user = (n: number): { tenantId: string; objectId: string } => ({ tenantId: 't', objectId: `u${n}` });

describe('rule 17: one state backend', () => {
  test('rule 17: no `redis ? … : …` fork outside bot/state/stateBackend.ts', () => {
    let out = '';
    try {
      out = execFileSync('grep', ['-rn', '--include=*.ts', 'redis ?', 'bot', 'adapters', 'domain'], { cwd: `${__dirname}/../..`, encoding: 'utf8' });
    } catch (e) {
      // grep exits 1 when nothing matches.
      if ((e as { status?: number }).status !== 1) throw e;
    }
    const forks = out
      .split('\n')
      .filter(Boolean)
      .filter((l) => !l.startsWith('bot/state/stateBackend.ts:'));
    expect(forks).toEqual([]);
  });

  test('rule 17: without Redis the botbuilder Storage is capped: a flood of 5,000 conversations keeps the newest 100', async () => {
    const clock = new FixedClock(Date.UTC(2026, 0, 5, 9));
    const state = createStateBackend(config, null, { clock, memoryCap: 100 });
    expect(state.kind).toBe('memory');
    expect(state.turnGuard).toBeNull();
    for (let i = 0; i < 5000; i++) await state.storage.write({ [`msteams/conversations/a:c${i}/`]: { n: i } });
    expect((state.storage as BoundedMemoryStorage).size).toBe(100);
    const newest = await state.storage.read(['msteams/conversations/a:c4999/', 'msteams/conversations/a:c0/']);
    expect(Object.keys(newest)).toEqual(['msteams/conversations/a:c4999/']);
  });

  test('rule 17: without Redis the conversation reference store is capped (oldest saved evicted)', async () => {
    const state = createStateBackend(config, null, { clock: new FixedClock(0), memoryCap: 50 });
    for (let i = 0; i < 1000; i++) await state.refs.save(user(i), { conversation: { id: `c${i}` } });
    expect(await state.refs.get(user(0))).toBeNull();
    expect(await state.refs.get(user(999))).toEqual({ conversation: { id: 'c999' } });
    expect(state.refs).toBeInstanceOf(MemoryConversationRefStore);
  });

  test('rule 17: memory state expires with the state TTL, and expired items are evicted before live ones', async () => {
    const clock = new FixedClock(Date.UTC(2026, 0, 5, 9));
    const storage = new BoundedMemoryStorage({ maxItems: 3, ttlSeconds: 60, now: () => clock.now() });
    await storage.write({ old: { n: 1 } });
    clock.advance(30_000);
    await storage.write({ a: { n: 2 }, b: { n: 3 } });
    clock.advance(31_000); // 'old' has expired, 'a' and 'b' live
    await storage.write({ c: { n: 4 } });
    expect(Object.keys(await storage.read(['old', 'a', 'b', 'c']))).toEqual(['a', 'b', 'c']);
    clock.advance(60_000);
    expect(await storage.read(['a', 'b', 'c'])).toEqual({});
  });

  test('F16: without Redis the code store and the flow store are linked: a code check with a flow step advances that flow', async () => {
    const clock = new FixedClock(Date.UTC(2026, 0, 5, 9));
    const state = createStateBackend(config, null, { clock });
    const security = state.security({ clock, audit: { record: async () => undefined } });
    const u = user(1);
    const now = clock.now();
    const flow: FlowRecord = { flowId: 'a'.repeat(32), user: u, conversationId: 'c', goal: 'reset', startedAt: now, expiresAt: now + 900_000, required: 1, privileged: false, state: { name: 'challengeSent', proved: [], methodId: 'm1~email' }, version: 0 };
    await state.recovery.flows.create(flow);
    const slot = { user: u, purpose: 'verify' as const, methodId: 'm1' };
    await security.codes.create(slot, '123456', 300);
    expect(await security.codes.attempt(slot, '123456', 5, { flow, next: { name: 'choosingMethod', proved: ['m1~email'] } })).toBe('ok');
    expect((await state.recovery.flows.get(u, flow.flowId))?.version).toBe(1);
  });

  test('BoundedMap: expired entries go first, then the oldest; rewriting a key refreshes it', () => {
    let now = 0;
    const m = new BoundedMap<string, number>(3, (until) => until <= now);
    m.set('a', 100).set('b', 10).set('c', 100);
    now = 50;
    m.set('d', 100); // b expired → evicted, a kept
    expect([...m.keys()]).toEqual(['a', 'c', 'd']);
    m.set('a', 200); // refresh a
    m.set('e', 200); // nothing expired → oldest (c) goes
    expect([...m.keys()]).toEqual(['d', 'a', 'e']);
    expect(m.size).toBe(3);
  });
});

describe('rule 17: the Redis backend', () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedis();
    redis = server.client();
    await waitReady(redis);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.destroy();
  });

  test('rule 17: given a client, every store, the guard and the Storage are on it; the client stays the caller’s', async () => {
    const state = createStateBackend(config, redis, { clock: new FixedClock(0) });
    expect(state.kind).toBe('redis');
    expect(state.ownsClient).toBe(false);
    expect(state.storage).toBeInstanceOf(RedisStorage);
    expect((state.storage as RedisStorage).client).toBe(redis);
    expect(state.turnGuard).not.toBeNull();
    expect(await state.ready()).toBe(true);
    await state.refs.save(user(1), { conversation: { id: 'c1' } });
    await state.limiter('t-limit', 1, 60).consume('k');
    const keys = await redis.keys(`${config.redis.prefix}*`);
    expect(keys.some((k) => k.includes('rl:t-limit'))).toBe(true);
    expect(keys.some((k) => k.includes('convref'))).toBe(true);
  });
});
