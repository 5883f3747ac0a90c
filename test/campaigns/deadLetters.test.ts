/**
 * Issue 13 (R39): a delivery job the queue gives up on ends in the dead-letter list with its reason — never
 * only in BullMQ's failed set, where no admin looks. Real BullMQ workers on real Redis (a private server, or the
 * 3-primary cluster under `npm run test:cluster`): every attempt throws, the connector keeps answering 500, the
 * job stalls more often than maxStalledCount allows; and a job that stalls after its message went out is not
 * dead-lettered (it was delivered).
 */
import type Redis from 'ioredis';
import { Queue, Worker } from 'bullmq';
import { startRedis, sleep, type RedisServer } from '../support/redisServer';
import { ConnectorStub } from '../support/connectorStub';
import { loadConfig, type Config } from '../../bot/config';
import { createLogger } from '../../bot/logger';
import { createCampaigns, type Campaigns } from '../../bot/worker/createCampaigns';
import { ConnectorChannel, workerAuthentication } from '../../bot/worker/connectorChannel';
import { bullConnection, DELIVERY_QUEUE } from '../../bot/worker/queues';
import type { DeliveryOutcome } from '../../bot/worker/delivery';
import { RedisConversationRefStore } from '../../adapters/redis/redisConversationRefStore';
import { DEFAULT_CAMPAIGN_POLICY } from '../../domain/campaigns/campaignPolicy';
import { SsprError } from '../../domain/errors';
import type { OutboundMessage } from '../../domain/campaigns/model';
import type { ConversationRefStore } from '../../domain/ports/conversationRefs';

jest.setTimeout(120_000);

const TENANT = '00000000-0000-0000-0000-0000000000dd';
const PREFIX = 'dl:';
const QUEUE_PREFIX = '{dl-jobs}';

let server: RedisServer;
let redis: Redis;
let stub: ConnectorStub;
let base: Config;
const open: Campaigns[] = [];
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
  while (redis.status !== 'ready') await sleep(20);
  stub = new ConnectorStub();
  await stub.start();
  base = loadConfig({
    REDIS_URL: server.url,
    LOG_LEVEL: 'silent',
    CAMPAIGN_TENANT_ID: TENANT,
    REDIS_KEY_PREFIX: PREFIX,
    CAMPAIGN_QUEUE_PREFIX: QUEUE_PREFIX,
    CAMPAIGN_DELIVERY_ATTEMPTS: '2',
  });
});
afterEach(async () => {
  for (const c of open.splice(0)) await c.close(2000);
  for (const c of closers.splice(0)) await c().catch(() => undefined);
  stub.failWith = null;
});
afterAll(async () => {
  redis.disconnect();
  await stub.stop();
  await server.destroy();
});
beforeEach(async () => {
  await redis.flushall();
  stub.clear();
});

const oid = (n: number): string => `dddddddd-0000-4000-8000-${String(n).padStart(12, '0')}`;
const message = (n: number): OutboundMessage => ({
  id: `test.lockout.${n}.${Date.now()}`,
  tenantId: TENANT,
  to: { kind: 'user', user: { tenantId: TENANT, objectId: oid(n) } },
  card: { kind: 'lockout', lockedAt: Date.now() - 60_000 },
  createdAt: Date.now(),
});

function worker(o: { refs?: ConversationRefStore; engine?: Parameters<typeof createCampaigns>[0]['engine']; outcomes?: [string, DeliveryOutcome][] } = {}): Campaigns {
  const config: Config = {
    ...base,
    campaigns: { ...base.campaigns, roles: { delivery: true, scans: false } },
    policy: { ...base.policy, campaigns: DEFAULT_CAMPAIGN_POLICY },
  };
  const c = createCampaigns({
    config,
    redis,
    logger: createLogger('silent'),
    services: { clock: { now: () => Date.now() }, directory: { capabilities: () => ({ canUnlock: true }) } as never, security: { methods: { list: async () => [] } } as never },
    refs: o.refs ?? new RedisConversationRefStore(redis, PREFIX),
    channel: new ConnectorChannel(workerAuthentication({}), ''),
    securityChannel: async () => null,
    tenantId: TENANT,
    engine: { delivery: { backoffMs: 100, ...o.engine?.delivery } },
    onOutcome: (m, out) => o.outcomes?.push([m.id, out]),
  });
  open.push(c);
  return c;
}

async function seedRef(n: number): Promise<void> {
  await new RedisConversationRefStore(redis, PREFIX).save(
    { tenantId: TENANT, objectId: oid(n) },
    {
      serviceUrl: stub.url,
      channelId: 'msteams',
      locale: 'en-US',
      conversation: { id: `a:dl-${n}`, conversationType: 'personal', tenantId: TENANT },
      bot: { id: '28:bot', name: 'bot' },
      user: { id: `29:${n}`, name: `u${n}` },
    },
  );
}

async function deadLetterOf(c: Campaigns, id: string, ms = 60_000) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) {
    const found = (await c.deadLetters.list(100)).find((l) => l.messageId === id);
    if (found) return found;
  }
  return null;
}

/** BullMQ's own record of the job (its failed set keeps it; the dead letters are what admins read). */
async function jobState(id: string): Promise<string> {
  const connection = bullConnection(server.target, 'dl-inspect');
  const q = new Queue(DELIVERY_QUEUE, { connection, prefix: QUEUE_PREFIX });
  try {
    return await q.getJobState(id);
  } finally {
    await q.close();
    await connection.quit();
  }
}

test('R39 issue 13: every attempt of a delivery job throws (the stores unreachable) → the dead letters hold it with reason job_failed and the error code, after the configured attempts', async () => {
  let reads = 0;
  const failing: ConversationRefStore = {
    save: async () => undefined,
    get: async () => {
      reads++;
      throw new SsprError('state_unavailable', 'conversation references unavailable');
    },
  };
  const c = worker({ refs: failing });
  const m = message(1);
  await c.outbox.enqueue([m]);
  await c.start();
  const letter = await deadLetterOf(c, m.id);
  expect(letter).toMatchObject({ messageId: m.id, kind: 'lockout', tenantId: TENANT, reason: 'job_failed', attempts: 2 });
  expect(letter?.detail).toContain('conversation references unavailable');
  expect(reads).toBe(2);
  expect(await jobState(m.id)).toBe('failed');
  expect(stub.calls.filter((x) => x.method === 'POST')).toHaveLength(0);
});

test('R39 issue 13: the connector answers 500 to every POST → dead-lettered as retries_exhausted with the status once the attempts are used', async () => {
  await seedRef(2);
  stub.failWith = { status: 500, times: 1_000 };
  const c = worker();
  const m = message(2);
  await c.outbox.enqueue([m]);
  await c.start();
  const letter = await deadLetterOf(c, m.id);
  expect(letter).toMatchObject({ messageId: m.id, reason: 'retries_exhausted', status: 500, attempts: 2 });
});

/** Takes the next delivery job with a bare BullMQ worker that never renews its lock: the job stalls. */
async function stallNextJob(): Promise<void> {
  const connection = bullConnection(server.target, 'dl-staller');
  const w = new Worker(DELIVERY_QUEUE, null, { connection, prefix: QUEUE_PREFIX, autorun: false, lockDuration: 1000 });
  closers.push(async () => {
    await w.close(true);
    await connection.quit();
  });
  for (let i = 0; i < 200; i++) {
    if (await w.getNextJob('staller-token', { block: false })) return;
    await sleep(50);
  }
  throw new Error('no job to stall');
}

test('R39 issue 13: a job that stalls more often than maxStalledCount (its worker hung or died holding it) → dead-lettered as stalled, with BullMQ\'s reason', async () => {
  await seedRef(3);
  const c = worker({ engine: { delivery: { lockDurationMs: 1000, stalledIntervalMs: 300, maxStalledCount: 0 } } });
  const m = message(3);
  await c.outbox.enqueue([m]);
  await stallNextJob();
  await c.start();
  const letter = await deadLetterOf(c, m.id);
  expect(letter).toMatchObject({ messageId: m.id, kind: 'lockout', reason: 'stalled' });
  expect(letter?.detail).toMatch(/stalled/);
  expect(letter?.inDoubt).toBeUndefined();
  // Failed by the queue, never posted.
  expect(stub.calls.filter((x) => x.method === 'POST')).toHaveLength(0);
});

test('R39 F21: a job that stalls over the limit AFTER its message went out is not dead-lettered: the ledger says sent', async () => {
  await seedRef(4);
  const outcomes: [string, DeliveryOutcome][] = [];
  const c = worker({ engine: { delivery: { lockDurationMs: 1000, stalledIntervalMs: 300, maxStalledCount: 0 } }, outcomes });
  const m = message(4);
  await c.outbox.enqueue([m]);
  await stallNextJob();
  // The stalled holder had posted the message and recorded it before it hung.
  await c.deliveryLedger.complete(m.id, 'sent', 86400_000);
  await c.start();
  for (const end = Date.now() + 60_000; !outcomes.some(([id]) => id === m.id) && Date.now() < end; ) await sleep(100);
  expect(outcomes.find(([id]) => id === m.id)?.[1]).toEqual({ kind: 'skipped', why: 'duplicate' });
  expect(await jobState(m.id)).toBe('failed');
  expect((await c.deadLetters.list(100)).filter((l) => l.messageId === m.id)).toEqual([]);
});
