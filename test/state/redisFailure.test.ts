import { TestAdapter, type Activity } from 'botbuilder';
import type { Redis } from 'ioredis';
import { SsprError } from '../../domain/errors';
import { createRedis, isRedisReady } from '../../bot/redisClient';
import { RedisStorage } from '../../bot/redisStorage';
import { TurnGuard, TurnScope } from '../../bot/turnGuard';
import { startRedis, sleep, type RedisServer } from '../support/redisServer';
import { waitReady } from './helpers';

let server: RedisServer;
let redis: Redis;
let guard: TurnGuard;
let storage: RedisStorage;
let adapter: TestAdapter;
let n = 0;

const message = (conversationId: string): Partial<Activity> => ({
  type: 'message',
  id: `m-${++n}`,
  channelId: 'msteams',
  text: 'hi',
  from: { id: 'user-1', name: 'User' },
  recipient: { id: 'bot', name: 'Bot' },
  conversation: { id: conversationId, isGroup: false, conversationType: 'personal', name: '' },
});

/** Polls `probe` until it returns `want`; resolves with the elapsed milliseconds, or -1 after `limitMs`. */
async function timeUntil(probe: () => Promise<boolean>, want: boolean, limitMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if ((await probe()) === want) return Date.now() - started;
    await sleep(100);
  }
  return -1;
}

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
  await waitReady(redis);
  const scope = new TurnScope();
  storage = new RedisStorage(redis, { scope });
  guard = new TurnGuard(redis, { scope, prefetch: { storage } });
  adapter = new TestAdapter();
  adapter.use(guard);
});

afterAll(async () => {
  redis.disconnect();
  await server.destroy();
});

test('R22/F1: Redis stopped → the turn fails closed with state_unavailable in < 3 s, readiness false in < 5 s, then recovers without a new client', async () => {
  let runs = 0;
  const handler = async (): Promise<void> => {
    runs++;
  };
  await adapter.processActivity(message('conv-f1'), handler);
  expect(runs).toBe(1);
  expect(await isRedisReady(redis)).toBe(true);

  await server.stop();

  const started = Date.now();
  const err = await adapter.processActivity(message('conv-f1'), handler).catch((e: unknown) => e);
  const elapsed = Date.now() - started;
  expect(err).toBeInstanceOf(SsprError);
  expect((err as SsprError).code).toBe('state_unavailable');
  expect(elapsed).toBeLessThan(3000);
  expect(runs).toBe(1);

  // The storage fails closed the same way (no in-memory fallback).
  await expect(storage.write({ k: { n: 1 } })).rejects.toMatchObject({ code: 'state_unavailable' });
  await expect(storage.read(['k'])).rejects.toMatchObject({ code: 'state_unavailable' });

  const notReadyAfter = await timeUntil(() => isRedisReady(redis), false, 5000);
  expect(notReadyAfter).toBeGreaterThanOrEqual(0);

  await server.start();
  const readyAfter = await timeUntil(() => isRedisReady(redis), true, 10_000);
  expect(readyAfter).toBeGreaterThanOrEqual(0);
  await adapter.processActivity(message('conv-f1'), handler);
  expect(runs).toBe(2);
});

test('R22/F7: Redis answering too slowly → state_unavailable in < 3 s and the handler does not run', async () => {
  const blocker = createRedis(server.url, { commandTimeoutMs: 1000 });
  await waitReady(blocker);
  try {
    let ran = false;
    // A busy script blocks the single-threaded server (stands in for a stalled Redis) for ~2 s.
    const busy = blocker
      .eval("local t = redis.call('TIME') local s = t[1] + 2 while true do local n = redis.call('TIME') if n[1] + 0 >= s then break end end return 1", 0)
      .catch(() => undefined);
    await sleep(50);
    const started = Date.now();
    const err = await adapter
      .processActivity(message('conv-f7'), async () => {
        ran = true;
      })
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err).toBeInstanceOf(SsprError);
    expect((err as SsprError).code).toBe('state_unavailable');
    expect(ran).toBe(false);
    await busy;
  } finally {
    blocker.disconnect();
  }
});
