import { createRedis } from '../../bot/redisClient';
import { startRedis, type RedisServer } from '../support/redisServer';
import type Redis from 'ioredis';

/** Blocks this process's event loop for `ms` without using a CPU (Redis, another process, keeps running). */
function stallEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

async function ready(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') await new Promise<void>((r) => redis.once('ready', () => r()));
}

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.destroy();
});

describe('issue 15 / F7: the command timeout measures Redis, not the app’s own event loop', () => {
  test('issue 15 F7: a reply that arrived while the event loop was busy is an answer, not a timeout (the journey bench’s "turn failed" under 200 users)', async () => {
    const redis = createRedis(server.url, { commandTimeoutMs: 300 });
    try {
      await ready(redis);
      await redis.set('ct:k', 'v');
      const replies = [redis.get('ct:k'), redis.hgetall('ct:none'), redis.eval('return 7', 0)];
      // Auto-pipelining writes them in a setImmediate; once this one has run they are on the socket.
      await new Promise((r) => setImmediate(r));
      // The app busy with other turns for 5× the timeout: Redis answers meanwhile, nobody reads the socket.
      stallEventLoop(1_500);
      await expect(Promise.all(replies)).resolves.toEqual(['v', {}, 7]);
    } finally {
      redis.disconnect();
    }
  });

  test('F7: a command Redis does not answer is still refused by the timeout (fail closed)', async () => {
    const redis = createRedis(server.url, { commandTimeoutMs: 300 });
    const blocker = createRedis(server.url, { commandTimeoutMs: 1000 });
    try {
      await Promise.all([ready(redis), ready(blocker)]);
      // A busy script holds the single-threaded server for ~2 s (a stalled Redis).
      const busy = blocker
        .eval("local t = redis.call('TIME') local s = t[1] + 2 while true do local n = redis.call('TIME') if n[1] + 0 >= s then break end end return 1", 0)
        .catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
      await expect(redis.get('ct:k')).rejects.toThrow('Command timed out');
      await busy;
    } finally {
      redis.disconnect();
      blocker.disconnect();
    }
  });
});
