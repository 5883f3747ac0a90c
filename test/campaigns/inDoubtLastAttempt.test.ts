/**
 * F21 / R39: an in-doubt campaign message (a worker died with its POST in flight) whose Graph read-back keeps failing
 * (429/5xx, time-outs) for the job's whole retry budget. BullMQ then fails the job for good: unless the last attempt
 * decides, a lockout alert is lost without a trace (never sent, never dead-lettered, the ledger "in doubt" for 30
 * days). Real Redis, real BullMQ, the local Bot Connector, and a local Graph that answers every read 503.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { Queue } from 'bullmq';
import { startRedis, sleep, type RedisServer } from '../support/redisServer';
import { FlakyConnector } from '../../scripts/campaigns/flakyConnector';
import { HARNESS_BOT_APP_ID, recipients, seedReferences } from '../../scripts/campaigns/harness';
import { RedisDeadLetters, RedisDeliveryLedger } from '../../adapters/redis/redisCampaignStores';
import { RedisConversationRefStore } from '../../adapters/redis/redisConversationRefStore';
import { RedisSendPacer } from '../../adapters/redis/redisSendPacer';
import { GraphDeliveryReadBack } from '../../adapters/campaigns/graphDeliveryReadBack';
import { ConnectorChannel, workerAuthentication } from '../../bot/worker/connectorChannel';
import { TeamsSender } from '../../bot/teamsSender';
import { DeliveryProcessor } from '../../bot/worker/delivery';
import { CampaignEngine } from '../../bot/worker/campaignEngine';
import { DELIVERY_QUEUE, bullConnection } from '../../bot/worker/queues';

jest.setTimeout(180_000);

const PREFIX = 'sspr:';
const QUEUE_PREFIX = '{sspr-jobs}';

let server: RedisServer;
let redis: Redis;
let graph: Server;
let graphUrl = '';
const graphReads: string[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
  while (redis.status !== 'ready') await sleep(20);
  // Graph as it is on a bad day: a token, then 503 for every read.
  graph = createServer((req, res) => {
    req.resume();
    if (req.method === 'POST' && /\/oauth2\/v2\.0\/token$/.test(req.url ?? '')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'graph-token', expires_in: 3600 }));
      return;
    }
    graphReads.push(req.url ?? '');
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'ServiceUnavailable', message: 'try later' } }));
  });
  await new Promise<void>((r) => graph.listen(0, '127.0.0.1', () => r()));
  graphUrl = `http://127.0.0.1:${(graph.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => graph.close(() => r()));
  redis.disconnect();
  await server.destroy();
});

test('F21 R39: in-doubt messages whose read-back fails on every attempt — the last attempt applies the kind’s rule: the lockout alert is re-sent (at-least-once), the reminder dead-lettered as "maybe delivered"; neither is lost silently', async () => {
  await redis.flushall();
  const connector = new FlakyConnector({ share429: 0, retryAfterSeconds: 1 });
  await connector.start();
  const [lockUser, remindUser] = recipients(2, 1) as [{ tenantId: string; objectId: string }, { tenantId: string; objectId: string }];
  await seedReferences(redis, PREFIX, connector.url, [lockUser, remindUser], connector);
  const lockId = `m-${lockUser.tenantId}-${lockUser.objectId}`;
  const remindId = `m-${remindUser.tenantId}-${remindUser.objectId}`;
  // What a worker SIGKILLed mid-POST leaves: both messages "posting" by an attempt that no longer exists.
  const ledger = new RedisDeliveryLedger(redis, PREFIX);
  const postedAt = Date.now() - 60_000;
  for (const id of [lockId, remindId]) await ledger.markPosting(id, 'killed-worker-attempt', 86_400_000, postedAt);
  const sender = new TeamsSender(new ConnectorChannel(workerAuthentication({}), ''), '', { pacer: new RedisSendPacer(redis, { prefix: PREFIX, tenantPerSecond: 100 }), maxRetries: 2, baseDelayMs: 50 });
  const processor = new DeliveryProcessor({
    sender,
    refs: new RedisConversationRefStore(redis, PREFIX),
    ledger,
    deadLetters: new RedisDeadLetters(redis, PREFIX),
    render: (m) => ({
      type: 'message',
      text: `campaign ${m.id} ${m.createdAt}`,
      attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: m.card.kind }] } }],
    }),
    clock: { now: () => Date.now() },
    securityChannel: async () => null,
    readBack: new GraphDeliveryReadBack({
      tenantId: 'tenant',
      clientId: 'client',
      clientSecret: 'secret',
      baseUrl: `${graphUrl}/v1.0`,
      authorityHost: graphUrl,
      catalogAppId: 'catalog-app',
      botAppId: HARNESS_BOT_APP_ID,
      securityChannel: async () => null,
      clock: { now: () => Date.now() },
    }),
    readBackAfterMs: 1000,
  });
  const connection = bullConnection({ url: server.url }, 'in-doubt-test');
  const engine = new CampaignEngine({ connection, prefix: QUEUE_PREFIX, delivery: { processor, concurrency: 4, globalPerSecond: 0, attempts: 3, backoffMs: 50 } });
  const queue = new Queue(DELIVERY_QUEUE, { connection, prefix: QUEUE_PREFIX });
  try {
    // Queued through the engine's own outbox (its retry budget: 3 attempts), as the scans and the webhook queue.
    await engine.outbox.enqueue([
      { id: lockId, tenantId: lockUser.tenantId, to: { kind: 'user', user: lockUser }, card: { kind: 'lockout', lockedAt: Date.now() - 120_000 }, createdAt: Date.now() },
      { id: remindId, tenantId: remindUser.tenantId, to: { kind: 'user', user: remindUser }, card: { kind: 'expiry', expiresAt: Date.now() + 7 * 86_400_000, daysLeft: 7 }, createdAt: Date.now() },
    ]);
    await engine.start();
    // Until both jobs are over (completed jobs are removed; failed ones are kept and counted).
    const deadline = Date.now() + 120_000;
    for (;;) {
      const c = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children');
      if (Object.values(c).every((n) => n === 0)) break;
      if (Date.now() > deadline) throw new Error(`jobs still open: ${JSON.stringify(c)}`);
      await sleep(100);
    }
    await sleep(500);
    expect(graphReads.length).toBeGreaterThanOrEqual(2);
    const letters = await new RedisDeadLetters(redis, PREFIX).list(10);
    expect({
      lockoutDelivered: connector.deliveries().get(lockId) ?? 0,
      reminderDelivered: connector.deliveries().get(remindId) ?? 0,
      deadLetters: letters.map((l) => [l.messageId, l.reason]),
      ledger: [await redis.get(`${PREFIX}dlv:{${lockId}}`), await redis.get(`${PREFIX}dlv:{${remindId}}`)],
    }).toEqual({ lockoutDelivered: 1, reminderDelivered: 0, deadLetters: [[remindId, 'uncertain_after_crash']], ledger: ['sent', 'sent'] });
  } finally {
    await engine.close(2000);
    await queue.close();
    await connection.quit().catch(() => undefined);
    await connector.stop();
  }
});
