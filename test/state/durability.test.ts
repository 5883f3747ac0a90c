import type { Redis } from 'ioredis';
import { checkRedisDurability, createRedis } from '../../bot/redisClient';
import { startRedis, type RedisServer } from '../support/redisServer';
import { waitReady } from './helpers';

const servers: RedisServer[] = [];
const clients: Redis[] = [];

async function clientFor(options: Parameters<typeof startRedis>[0]): Promise<Redis> {
  const server = await startRedis(options);
  servers.push(server);
  const redis = createRedis(server.url);
  clients.push(redis);
  await waitReady(redis);
  return redis;
}

afterAll(async () => {
  for (const c of clients) c.disconnect();
  for (const s of servers) await s.destroy();
});

test('R23: a default test Redis (appendonly no; Redis 7 defaults to noeviction) is reported for appendonly', async () => {
  const report = await checkRedisDurability(await clientFor({}));
  expect(report).toEqual({ ok: false, problems: ['appendonly is "no", expected "yes"'] });
});

test('R23: neither AOF nor noeviction → both problems are reported', async () => {
  const report = await checkRedisDurability(await clientFor({ maxmemoryPolicy: 'volatile-lru' }));
  expect(report.ok).toBe(false);
  expect(report.problems).toHaveLength(2);
  expect(report.problems.join('\n')).toMatch(/appendonly/);
  expect(report.problems.join('\n')).toMatch(/maxmemory-policy is "volatile-lru"/);
});

test('R23: a server that refuses CONFIG GET is a problem, not a pass', async () => {
  const redis = await clientFor({ extraArgs: ['--rename-command', 'CONFIG', ''] });
  const report = await checkRedisDurability(redis);
  expect(report.ok).toBe(false);
  expect(report.problems.join('\n')).toMatch(/cannot read appendonly/);
});

test('R23: appendonly yes + maxmemory-policy noeviction is ok', async () => {
  const report = await checkRedisDurability(await clientFor({ appendonly: true, maxmemoryPolicy: 'noeviction' }));
  expect(report).toEqual({ ok: true, problems: [] });
});

test('R23: AOF on but an evicting policy is still refused', async () => {
  const report = await checkRedisDurability(await clientFor({ appendonly: true, maxmemoryPolicy: 'allkeys-lru' }));
  expect(report.ok).toBe(false);
  expect(report.problems).toEqual([expect.stringMatching(/maxmemory-policy is "allkeys-lru"/)]);
});
