/**
 * F21 and F22 on real Redis with real worker processes (BullMQ), against a local Bot Connector stand-in (the real
 * one is not reachable from here). Rates are checked from the connector's arrival counts, not from timers.
 */
import Redis from 'ioredis';
import { startRedis, sleep, type RedisServer } from '../support/redisServer';
import { FlakyConnector, tenantRates } from '../../scripts/campaigns/flakyConnector';
import { WorkerProcess, enqueueMessages, recipients, seedReferences } from '../../scripts/campaigns/harness';
import type { WorkerChildSettings } from '../../scripts/campaigns/workerChild';
import { RedisDeadLetters } from '../../adapters/redis/redisCampaignStores';
import { GraphStub } from '../support/graphStub';

jest.setTimeout(180_000);

let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
  await redis.ping().catch(async () => {
    await sleep(100);
  });
  while (redis.status !== 'ready') await sleep(20);
});
afterAll(async () => {
  redis.disconnect();
  await server.destroy();
});

const settings = (o: Partial<WorkerChildSettings> = {}): WorkerChildSettings => ({
  redisUrl: server.url,
  ...(server.target.clusterNodes ? { clusterNodes: server.target.clusterNodes } : {}),
  queuePrefix: '{sspr-jobs}',
  keyPrefix: 'sspr:',
  tenantPerSecond: 30,
  concurrency: 300,
  globalPerSecond: 0,
  lockDurationMs: 10_000,
  stalledIntervalMs: 2000,
  postsInFlight: 16,
  ...o,
});

async function waitFor(pred: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(50);
  }
}

describe('campaign delivery on real Redis with two worker processes', () => {
  test('F22: 30 % of sends answered 429 + Retry-After → every request the connector saw was a slot of the shared pacer, the slots run at the configured 30/s per tenant within 5 %, every message delivered exactly once', async () => {
    await redis.flushall();
    const connector = new FlakyConnector({ share429: 0.3, retryAfterSeconds: 1 });
    await connector.start();
    const tenants = 3;
    const users = recipients(1200, tenants);
    await seedReferences(redis, 'sspr:', connector.url, users);
    // Everything queued before the workers start, so the measured stretch is steady state, not start-up.
    await enqueueMessages(server.target, '{sspr-jobs}', users, () => Date.now());
    const workers = await Promise.all([WorkerProcess.start(settings()), WorkerProcess.start(settings())]);
    try {
      await waitFor(() => connector.deliveries().size >= users.length, 120_000);
      await sleep(1500); // anything still in flight would show up as a duplicate
      const deliveries = connector.deliveries();
      expect(deliveries.size).toBe(users.length);
      expect([...deliveries.values()].filter((n) => n !== 1)).toEqual([]);
      const throttled = connector.arrivals.filter((a) => a.status === 429).length;
      expect(throttled / connector.arrivals.length).toBeGreaterThan(0.25);
      expect(await new RedisDeadLetters(redis, 'sspr:').list(10)).toEqual([]);

      // Counted, not timed: the slots both workers were granted by the shared pacer (Redis time), per tenant.
      const grants = new Map<string, number[]>();
      for (const w of workers) for (const [t, at] of Object.entries((await w.report()).grants)) grants.set(t, [...(grants.get(t) ?? []), ...at]);
      const arrivalsPer = new Map<string, number>();
      for (const a of connector.arrivals) arrivalsPer.set(a.tenant, (arrivalsPer.get(a.tenant) ?? 0) + 1);
      expect(grants.size).toBe(tenants);
      for (const [tenant, slots] of grants) {
        // 1. No request outside the pacer: the connector saw exactly one request per granted slot (a client-side
        //    retry, e.g. the connector client's own 429 policy, would make it see more).
        expect({ tenant, requests: arrivalsPer.get(tenant) }).toEqual({ tenant, requests: slots.length });
        slots.sort((x, y) => x - y);
        // 2. The slots never exceed the rate: at most 30 (+1 at the window's edge) in any 1-s window of Redis time.
        let most = 0;
        for (let i = 0, j = 0; i < slots.length; i++) {
          while (slots[i]! - slots[j]! >= 1000) j++;
          most = Math.max(most, i - j + 1);
        }
        expect(most).toBeLessThanOrEqual(31);
        // 3. …and hold it: over the steady part (the middle 60 % of the tenant's slots) 30/s within 5 %.
        const mid = slots.slice(Math.floor(slots.length * 0.2), Math.floor(slots.length * 0.8));
        const perSecond = ((mid.length - 1) / (mid[mid.length - 1]! - mid[0]!)) * 1000;
        expect({ tenant, withinFivePercent: Math.abs(perSecond - 30) / 30 <= 0.05, perSecond: Math.round(perSecond * 10) / 10 }).toMatchObject({ tenant, withinFivePercent: true });
      }
      const rates = tenantRates(connector.arrivals);
      process.stdout.write(
        `F22: ${connector.arrivals.length} requests (${throttled} answered 429) = ${[...grants.values()].reduce((n, g) => n + g.length, 0)} pacer slots; ` +
          `connector-side rate per tenant ${[...rates.values()].map((r) => r.perSecond.toFixed(1)).join(', ')} (printed only: wall-clock on a shared machine)\n`,
      );
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
      await connector.stop();
    }
  });

  test('F21 R39: a worker SIGKILLed mid-batch (POSTs in flight) → the other takes over and reads the in-doubt ones back over Graph; every message delivered exactly once, none lost, none twice', async () => {
    await redis.flushall();
    const connector = new FlakyConnector({ share429: 0.1, retryAfterSeconds: 1 });
    await connector.start();
    const graph = new GraphStub([]);
    graph.teams = connector;
    await graph.start();
    const users = recipients(1500, 5);
    await seedReferences(redis, 'sspr:', connector.url, users, connector);
    const readBack = { baseUrl: graph.baseUrl, authorityHost: graph.authorityHost, tenantId: graph.tenantId, clientId: graph.clientId, clientSecret: graph.clientSecret, catalogAppId: graph.catalogAppId, afterMs: 1000 };
    const [a, b] = await Promise.all([WorkerProcess.start(settings({ tenantPerSecond: 100, readBack })), WorkerProcess.start(settings({ tenantPerSecond: 100, readBack }))]);
    try {
      await enqueueMessages(server.target, '{sspr-jobs}', users, () => Date.now());
      await waitFor(() => connector.deliveries().size >= 500, 60_000);
      a.kill9();
      const atKill = connector.deliveries().size;
      expect(atKill).toBeLessThan(users.length);
      const ids = users.map((u) => `m-${u.tenantId}-${u.objectId}`);
      // Done when every message's ledger record says sent (the survivor resolved the in-doubt ones).
      const settled = async (): Promise<boolean> => {
        const v = await Promise.all(ids.map((id) => redis.get(`sspr:dlv:{${id}}`)));
        return v.every((x) => x === 'sent' || x === 'dead');
      };
      for (let until = Date.now() + 150_000; !(await settled()); await sleep(300)) if (Date.now() > until) throw new Error('not settled');
      await sleep(4000); // past the dead worker's lock: a stalled job re-run late would show up as a duplicate
      const deliveries = connector.deliveries();
      expect(ids.filter((id) => deliveries.get(id) !== 1)).toEqual([]);
      expect(await new RedisDeadLetters(redis, 'sspr:').list(1000)).toEqual([]);
      const stats = await b.stats();
      expect(stats.sent ?? 0).toBeGreaterThan(0);
      const dropped = connector.arrivals.filter((x) => x.status === 0).length;
      process.stdout.write(
        `F21: ${deliveries.size}/${users.length} delivered once after the kill at ${atKill}; in doubt read back: ${stats['sent:found'] ?? 0} found, ${stats['sent:resent'] ?? 0} re-sent (${dropped} POSTs cut off by the kill)\n`,
      );
    } finally {
      a.kill9();
      await b.terminate();
      await connector.stop();
      await graph.stop();
    }
  });

  test('graceful shutdown (SIGTERM) finishes the jobs in flight: none lost, none twice', async () => {
    await redis.flushall();
    const connector = new FlakyConnector({ share429: 0, retryAfterSeconds: 1 });
    await connector.start();
    const users = recipients(600, 2);
    await seedReferences(redis, 'sspr:', connector.url, users);
    const a = await WorkerProcess.start(settings({ tenantPerSecond: 100 }));
    try {
      await enqueueMessages(server.target, '{sspr-jobs}', users, () => Date.now());
      await waitFor(() => connector.deliveries().size >= 100, 60_000);
      await a.terminate();
      const afterStop = connector.deliveries().size;
      expect(afterStop).toBeLessThan(users.length);
      const b = await WorkerProcess.start(settings({ tenantPerSecond: 100 }));
      await waitFor(() => connector.deliveries().size >= users.length, 60_000);
      await sleep(500);
      await b.terminate();
      expect([...connector.deliveries().values()].filter((n) => n !== 1)).toEqual([]);
      expect(connector.deliveries().size).toBe(users.length);
      expect(await new RedisDeadLetters(redis, 'sspr:').list(10)).toEqual([]);
    } finally {
      await a.terminate();
      await connector.stop();
    }
  });
});
