/**
 * Issue 13 item 1: the campaign worker is a process of its own (bot/worker/main.ts, what `npm run worker` runs after
 * the build), any number beside each other on one Redis; SIGTERM finishes the jobs in flight and hands the rest back
 * (nothing left "active" under a dead lock), and another worker delivers the rest — every message once. In
 * development the bot process runs the campaigns itself (`npm start` = bot/index.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type Redis from 'ioredis';
import { startRedis, sleep, freePort, type RedisServer } from '../support/redisServer';
import { ConnectorStub } from '../support/connectorStub';
import { entryProcesses } from '../support/entryProcess';
import { enqueueMessages, seedReferences } from '../../scripts/campaigns/harness';
import { DELIVERY_QUEUE, bullConnection } from '../../bot/worker/queues';
import { loadConfig } from '../../bot/config';

jest.setTimeout(240_000);

const COUNT = 60;
let server: RedisServer;
let redis: Redis;
let stub: ConnectorStub;
const keysDir = mkdtempSync(join(tmpdir(), 'sspr-worker-keys-'));
const { start, killAll } = entryProcesses(() => ({ DEV_KEYS_FILE: join(keysDir, 'dev-keys.json') }));

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
  while (redis.status !== 'ready') await sleep(20);
  stub = new ConnectorStub();
  await stub.start();
});
afterAll(async () => {
  killAll();
  redis?.disconnect();
  await stub?.stop();
  await server?.destroy();
});


const perConversation = (): Map<string, number> => {
  const m = new Map<string, number>();
  for (const a of stub.activities) m.set(String(a?.conversation?.id), (m.get(String(a?.conversation?.id)) ?? 0) + 1);
  return m;
};

test('item 1 R39: two worker processes on one Redis; SIGTERM mid-run finishes or returns its jobs (none left active), the other delivers the rest — each message once', async () => {
  const users = Array.from({ length: COUNT }, (_, i) => ({ tenantId: 'tenant-w', objectId: `w${i}` }));
  await seedReferences(redis, 'sspr:', stub.url, users);
  // Lockout cards: a user's security alert, never held back (no quiet hours, nothing the demo directory could veto).
  await enqueueMessages(server.url, '{sspr-jobs}', users, () => Date.now(), () => ({ kind: 'lockout', lockedAt: Date.now() - 60_000 }));
  const env = { REDIS_URL: server.url, CAMPAIGN_WORKER_ROLES: 'delivery', CAMPAIGN_TENANT_RATE: '5', CAMPAIGN_CONCURRENCY: '20' };
  const a = await start('bot/worker/main.ts', env, 'campaign worker running');
  await until(() => stub.activities.length >= 8, 60_000);
  a.child.kill('SIGTERM');
  const code = await Promise.race([a.exit, sleep(20_000).then(() => 'still running')]);
  expect(code).toBe(0);
  expect(a.log()).toContain('campaign worker shutting down');
  const byA = stub.activities.length;
  expect(byA).toBeLessThan(COUNT);
  // Handed back, not held: no job is active (a killed worker's jobs would stay active until their lock lapsed).
  const q = new Queue(DELIVERY_QUEUE, { connection: bullConnection({ url: server.url }, 'test-inspect'), prefix: '{sspr-jobs}' });
  try {
    expect(await q.getActiveCount()).toBe(0);
    expect((await q.getWaitingCount()) + (await q.getDelayedCount())).toBe(COUNT - byA);
    // Nothing more arrives while no worker runs.
    await sleep(1500);
    expect(stub.activities.length).toBe(byA);

    const b = await start('bot/worker/main.ts', { ...env, CAMPAIGN_TENANT_RATE: '30' }, 'campaign worker running');
    await until(() => perConversation().size >= COUNT, 90_000);
    await sleep(1000);
    expect([...perConversation().values()].filter((n) => n !== 1)).toEqual([]);
    expect(perConversation().size).toBe(COUNT);
    b.child.kill('SIGTERM');
    expect(await b.exit).toBe(0);
  } finally {
    await q.close();
  }
});

test('item 1: in development `npm start` (bot/index.ts) runs the campaigns in its own process (CAMPAIGNS_IN_PROCESS, default on only in development)', async () => {
  expect(loadConfig({ SSPR_MODE: 'development' }).campaigns.inProcess).toBe(true);
  expect(loadConfig({ SSPR_MODE: 'development', CAMPAIGNS_IN_PROCESS: 'false' }).campaigns.inProcess).toBe(false);
  const bot = await start('bot/index.ts', { SSPR_MODE: 'development', PORT: String(await freePort()), REDIS_URL: server.url, REDIS_KEY_PREFIX: 'dev:', CAMPAIGN_QUEUE_PREFIX: '{dev-jobs}' }, 'listening on');
  await until(() => bot.log().includes('campaigns running in this process'), 30_000);
  expect(bot.log()).toContain('"engine":"bullmq"');
  // The in-process engine registered the scans with BullMQ's job scheduler.
  const q = new Queue('campaign-scans', { connection: bullConnection({ url: server.url }, 'test-inspect'), prefix: '{dev-jobs}' });
  try {
    const keys = (await q.getJobSchedulers()).map((s) => s.key).sort();
    expect(keys).toEqual(['scan-expiry', 'scan-lockout', 'scan-registration', 'watch-send-spikes']);
  } finally {
    await q.close();
  }
  bot.child.kill('SIGTERM');
  expect(await bot.exit).toBe(0);
});

async function until(check: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !check(); await sleep(50)) if (Date.now() > end) throw new Error('timed out');
}
