/**
 * F20 on the real entry points: with REDIS_CLUSTER=true and REDIS_URL at one node of a Redis Cluster, the campaign
 * worker (bot/worker/main.ts) and the bot (bot/index.ts, campaigns in-process) build a Cluster client for their state
 * and BullMQ (prefix `{…}`), and a queued campaign is delivered end to end. Cluster only (`npm run test:cluster`,
 * jest.cluster.config.js): it starts its own 3-primary cluster whatever SSPR_TEST_REDIS says.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { RedisClusterServer, sleep, freePort } from '../support/redisServer';
import { ConnectorStub } from '../support/connectorStub';
import { entryProcesses } from '../support/entryProcess';
import { enqueueMessages, seedReferences } from '../../scripts/campaigns/harness';
import { DELIVERY_QUEUE, bullConnection } from '../../bot/worker/queues';

jest.setTimeout(180_000);

const cluster = new RedisClusterServer();
let redis: Redis;
let stub: ConnectorStub;
const keysDir = mkdtempSync(join(tmpdir(), 'sspr-cluster-keys-'));
const { start, killAll } = entryProcesses(() => ({ DEV_KEYS_FILE: join(keysDir, 'dev-keys.json') }));

beforeAll(async () => {
  await cluster.start();
  redis = cluster.client();
  stub = new ConnectorStub();
  await stub.start();
});
afterAll(async () => {
  killAll();
  redis?.disconnect();
  await stub?.stop();
  await cluster.destroy();
});


async function until(check: () => boolean, ms: number, what: () => string): Promise<void> {
  for (const end = Date.now() + ms; !check(); await sleep(50)) if (Date.now() > end) throw new Error(`timed out: ${what()}`);
}

const to = (conversationId: string): unknown[] => stub.activities.filter((a) => a?.conversation?.id === conversationId);

test('F20: REDIS_CLUSTER=true — the campaign worker process delivers a campaign queued on a Redis Cluster, once, and leaves no job behind', async () => {
  const user = { tenantId: 'tenant-c', objectId: 'c1' };
  await seedReferences(redis, 'sspr:', stub.url, [user]);
  await enqueueMessages(cluster.target, '{sspr-jobs}', [user], () => Date.now(), () => ({ kind: 'lockout', lockedAt: Date.now() - 60_000 }));
  const w = await start('bot/worker/main.ts', { REDIS_URL: cluster.url, REDIS_CLUSTER: 'true', CAMPAIGN_WORKER_ROLES: 'delivery' }, 'campaign worker running');
  await until(() => to('a:tenant-c:c1').length >= 1, 60_000, w.log);
  await sleep(500);
  expect(to('a:tenant-c:c1')).toHaveLength(1);
  const connection = bullConnection(cluster.target, 'test-inspect');
  const q = new Queue(DELIVERY_QUEUE, { connection, prefix: '{sspr-jobs}' });
  try {
    expect(await q.getJobCounts('waiting', 'active', 'delayed', 'failed')).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
  } finally {
    await q.close();
    connection.disconnect();
  }
  w.child.kill('SIGTERM');
  expect(await w.exit).toBe(0);
});

test('F20: REDIS_CLUSTER=true — the bot (bot/index.ts, campaigns in-process) is ready on the cluster, schedules its scans there and delivers a queued campaign', async () => {
  const port = await freePort();
  const user = { tenantId: 'tenant-c', objectId: 'c2' };
  await seedReferences(redis, 'dev:', stub.url, [user]);
  const bot = await start(
    'bot/index.ts',
    { SSPR_MODE: 'development', PORT: String(port), REDIS_URL: cluster.url, REDIS_CLUSTER: 'true', REDIS_KEY_PREFIX: 'dev:', CAMPAIGN_QUEUE_PREFIX: '{dev-jobs}' },
    'listening on',
  );
  await until(() => bot.log().includes('campaigns running in this process'), 30_000, bot.log);
  expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
  const connection = bullConnection(cluster.target, 'test-inspect');
  const q = new Queue('campaign-scans', { connection, prefix: '{dev-jobs}' });
  try {
    const keys = (await q.getJobSchedulers()).map((s) => s.key).sort();
    expect(keys).toEqual(['scan-expiry', 'scan-lockout', 'scan-registration', 'watch-send-spikes']);
  } finally {
    await q.close();
    connection.disconnect();
  }
  await enqueueMessages(cluster.target, '{dev-jobs}', [user], () => Date.now(), () => ({ kind: 'lockout', lockedAt: Date.now() - 60_000 }));
  await until(() => to('a:tenant-c:c2').length >= 1, 60_000, bot.log);
  bot.child.kill('SIGTERM');
  expect(await bot.exit).toBe(0);
  expect(to('a:tenant-c:c2')).toHaveLength(1);
});
