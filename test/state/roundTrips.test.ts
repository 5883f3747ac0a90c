import Redis from 'ioredis';
import { RedisKeys } from '../../adapters/redis/redisKeys';
import { RedisSendThrottle } from '../../adapters/redis/redisSendThrottle';
import { createRedis } from '../../bot/redisClient';
import { startApp, type RunningApp } from '../support/appHarness';
import { post, teamsActivity } from '../support/activities';
import { startRedis, type RedisServer } from '../support/redisServer';

/** Issue 15 item 2: round trips of a turn, counted as socket writes of the app's client (one write per request). */
function countWrites(redis: Redis): () => number {
  let writes = 0;
  const stream = (redis as unknown as { stream: NodeJS.WritableStream }).stream;
  const original = stream.write.bind(stream) as (...a: unknown[]) => boolean;
  stream.write = ((...a: unknown[]) => {
    writes++;
    return original(...a);
  });
  return () => writes;
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

test('issue 15: the send throttle checks and consumes all buckets of one slot in ONE round trip, and still refuses when one is full', async () => {
  const redis = createRedis(server.url);
  await ready(redis);
  const writes = countWrites(redis);
  const user = { tenantId: 't', objectId: 'o' };
  const throttle = new RedisSendThrottle(redis, new RedisKeys('rt:'), (s) => s);
  const buckets = [
    { name: 'send-gap', user, subject: 'email', limit: 1, windowSeconds: 60 },
    { name: 'send-hour', user, subject: 'email', limit: 5, windowSeconds: 3600 },
  ];
  // The first use loads the script (EVALSHA → NOSCRIPT → EVAL, F19); measure from the second.
  await throttle.take([{ name: 'warm', user, subject: 'x', limit: 1, windowSeconds: 60 }]);
  const before = writes();
  expect(await throttle.take(buckets)).toEqual({ ok: true });
  expect(writes() - before).toBe(1);
  const refused = await throttle.take(buckets);
  expect(refused.ok).toBe(false);
  // Nothing consumed by the refusal: the hourly bucket still holds one point.
  expect(await redis.get('rt:rl:send-hour:{u:t:o}:email')).toBe('1');
  expect(Number(await redis.pttl('rt:rl:send-gap:{u:t:o}:email'))).toBeGreaterThan(50_000);
  redis.disconnect();
});

describe('issue 15 / R25: the lock release rides with the turn’s last state write', () => {
  let running: RunningApp;
  let monitor: Redis;
  beforeAll(async () => {
    running = await startApp({ REDIS_URL: server.url });
  });
  afterAll(async () => {
    await running.close();
  });

  test('issue 15: a turn that writes state costs 2 round trips (lock + prefetch; state write + release), the write sent before the release', async () => {
    const redis = running.app.redis!;
    await ready(redis);
    const conversationId = 'a:rt-conv';
    const act = (o: Parameters<typeof teamsActivity>[0]): Record<string, unknown> => teamsActivity({ conversationId, ...o });
    await post(running.baseUrl, act({ text: 'help' }));
    // Opens the security-info journey: its first card, the dialog stack saved.
    await post(running.baseUrl, act({ value: { verb: 'menu', choice: 'securityInfo' } }));
    const writes = countWrites(redis);
    const lines: string[] = [];
    monitor = await new Redis(server.port, '127.0.0.1', { lazyConnect: true }).monitor();
    monitor.on('monitor', (_t: string, args: string[]) => lines.push(args.join(' ')));
    await new Promise((r) => setTimeout(r, 50));
    const before = writes();
    const res = await post(running.baseUrl, act({ text: 'cancel' }));
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    const turnWrites = writes() - before;
    monitor.disconnect();
    const stateWrite = lines.findIndex((l) => l.startsWith('eval') && l.includes(' 1 sspr:state:msteams/conversations/a:rt-conv/ '));
    const lockCommands = lines.map((l, i) => (/^evalsha \S+ \d+ sspr:lock:\{c:a:rt-conv\}/.test(l) ? i : -1)).filter((i) => i >= 0);
    expect(stateWrite).toBeGreaterThan(-1);
    expect(lockCommands.length).toBe(2); // acquire, release
    expect(lockCommands[1]).toBeGreaterThan(stateWrite);
    expect(turnWrites).toBe(2);
  });
});
