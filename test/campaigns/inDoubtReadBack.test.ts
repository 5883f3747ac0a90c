/**
 * F21 / R39 with the POST in flight: a campaign worker process is SIGKILLed while the local Bot Connector holds its
 * POSTs, once after it accepted the message (the user has it; the worker never saw the answer) and once before (the
 * body arrived, the connector had not taken it; the kill drops it). A second worker finds both "in doubt" and reads
 * the conversations back over Graph's protocol (test/support/graphStub.ts serves what the connector accepted), on
 * real Redis. Counted at the connector, not timed.
 */
import Redis from 'ioredis';
import { startRedis, sleep, type RedisServer } from '../support/redisServer';
import { GraphStub } from '../support/graphStub';
import { FlakyConnector } from '../../scripts/campaigns/flakyConnector';
import { WorkerProcess, enqueueMessages, recipients, seedReferences } from '../../scripts/campaigns/harness';
import type { WorkerChildSettings } from '../../scripts/campaigns/workerChild';
import { RedisDeadLetters } from '../../adapters/redis/redisCampaignStores';

jest.setTimeout(240_000);

let server: RedisServer;
let redis: Redis;
let graph: GraphStub;

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
  while (redis.status !== 'ready') await sleep(20);
  graph = new GraphStub([]);
  await graph.start();
});
afterAll(async () => {
  await graph.stop();
  redis.disconnect();
  await server.destroy();
});

const settings = (readBack: boolean): WorkerChildSettings => ({
  redisUrl: server.url,
  ...(server.target.clusterNodes ? { clusterNodes: server.target.clusterNodes } : {}),
  queuePrefix: '{sspr-jobs}',
  keyPrefix: 'sspr:',
  tenantPerSecond: 100,
  concurrency: 50,
  globalPerSecond: 0,
  // A killed worker's jobs come back within a few seconds.
  lockDurationMs: 3000,
  stalledIntervalMs: 1000,
  postsInFlight: 8,
  ...(readBack
    ? {
        readBack: {
          baseUrl: graph.baseUrl,
          authorityHost: graph.authorityHost,
          tenantId: graph.tenantId,
          clientId: graph.clientId,
          clientSecret: graph.clientSecret,
          catalogAppId: graph.catalogAppId,
          afterMs: 1000,
        },
      }
    : {}),
});

async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const id = (u: { tenantId: string; objectId: string }): string => `m-${u.tenantId}-${u.objectId}`;
const posts = (c: FlakyConnector, messageId: string): number[] => c.arrivals.filter((a) => a.messageId === messageId).map((a) => a.status);

/** Starts worker 1, holds the POSTs of `accepted` and `notAccepted`, kills it while they are in flight, starts worker 2. */
async function killMidPost(o: { connector: FlakyConnector; users: ReturnType<typeof recipients>; accepted: string[]; notAccepted: string[]; readBack: boolean; kind: (u: { objectId: string }) => 'expiry' | 'lockout' }): Promise<WorkerProcess> {
  const { connector } = o;
  for (const m of o.accepted) connector.holdAfterAccept.add(m);
  for (const m of o.notAccepted) connector.holdBeforeAccept.add(m);
  const first = await WorkerProcess.start(settings(o.readBack));
  await enqueueMessages(server.target, '{sspr-jobs}', o.users, () => Date.now(), (u) =>
    o.kind(u) === 'lockout' ? { kind: 'lockout', lockedAt: Date.now() } : { kind: 'expiry', expiresAt: Date.now() + 7 * 86400_000, daysLeft: 7 },
  );
  const heldIds = [...o.accepted, ...o.notAccepted];
  // Every other message delivered, the held ones in flight (their POSTs wait at the connector): kill now.
  await waitFor(() => heldIds.every((m) => connector.held.has(m)) && connector.deliveries().size >= o.users.length - o.notAccepted.length, 120_000, 'the held POSTs');
  first.kill9();
  await waitFor(() => connector.held.size === 0, 10_000, 'the connector to see the client go');
  return WorkerProcess.start(settings(o.readBack));
}

describe('in-doubt campaign messages after a SIGKILL mid-POST, on real Redis', () => {
  test('F21 R39: a worker killed with two POSTs in flight → the one the connector had accepted is found by the Graph read-back and not re-sent, the one it had not is re-sent once; every message delivered exactly once', async () => {
    await redis.flushall();
    graph.denyMessageReads = false;
    const connector = new FlakyConnector({ share429: 0, retryAfterSeconds: 1 });
    await connector.start();
    graph.teams = connector;
    const users = recipients(30, 2);
    await seedReferences(redis, 'sspr:', connector.url, users, connector);
    const accepted = id(users[3]!);
    const notAccepted = id(users[4]!);
    let second: WorkerProcess | null = null;
    try {
      second = await killMidPost({ connector, users, accepted: [accepted], notAccepted: [notAccepted], readBack: true, kind: () => 'expiry' });
      const ledger = async (m: string) => redis.get(`sspr:dlv:{${m}}`);
      await waitFor(async () => (await ledger(accepted)) === 'sent' && (await ledger(notAccepted)) === 'sent', 120_000, 'both resolved');
      await sleep(1500); // anything still in flight would show up as a duplicate

      // At the connector: the accepted one was POSTed once (answer never seen); the other POSTed twice, taken once.
      expect(posts(connector, accepted)).toEqual([200]);
      expect(posts(connector, notAccepted)).toEqual([0, 200]);
      const deliveries = connector.deliveries();
      expect(users.map((u) => deliveries.get(id(u)) ?? 0)).toEqual(users.map(() => 1));
      expect(await new RedisDeadLetters(redis, 'sspr:').list(10)).toEqual([]);
      // The survivor resolved them by reading Graph: the held one (and any whose answer came back just before the
      // kill, before the worker wrote "sent") found, exactly one re-sent.
      const stats = await second.stats();
      expect({ found: (stats['sent:found'] ?? 0) >= 1, resent: stats['sent:resent'] }).toEqual({ found: true, resent: 1 });
      expect(graph.requests.filter((r) => r.path.startsWith('/v1.0/chats/')).length).toBeGreaterThanOrEqual(2);
      process.stdout.write(`F21 in doubt: ${accepted} ${JSON.stringify(posts(connector, accepted))}, ${notAccepted} ${JSON.stringify(posts(connector, notAccepted))}; ${deliveries.size}/${users.length} delivered once\n`);
    } finally {
      await second?.terminate();
      await connector.stop();
    }
  });

  test('R39 fallback when the admin did not grant the read (Graph 403): lockout alerts are re-sent (at-least-once), expiry reminders are dead-lettered as "maybe delivered" (at-most-once)', async () => {
    await redis.flushall();
    graph.denyMessageReads = true;
    const connector = new FlakyConnector({ share429: 0, retryAfterSeconds: 1 });
    await connector.start();
    graph.teams = connector;
    const users = recipients(30, 2);
    await seedReferences(redis, 'sspr:', connector.url, users, connector);
    // u0, u1, u2 get lockout alerts, the rest expiry reminders.
    const lockout = (u: { objectId: string }) => (['u0', 'u1', 'u2'].includes(u.objectId) ? 'lockout' : 'expiry');
    const lockoutAccepted = id(users[0]!);
    const lockoutNotAccepted = id(users[1]!);
    const reminderNotAccepted = id(users[5]!);
    let second: WorkerProcess | null = null;
    try {
      second = await killMidPost({ connector, users, accepted: [lockoutAccepted], notAccepted: [lockoutNotAccepted, reminderNotAccepted], readBack: true, kind: lockout });
      const ledger = async (m: string) => redis.get(`sspr:dlv:{${m}}`);
      await waitFor(async () => (await Promise.all([lockoutAccepted, lockoutNotAccepted, reminderNotAccepted].map(ledger))).every((v) => v === 'sent'), 120_000, 'all resolved');
      await sleep(1500);
      const deliveries = connector.deliveries();
      // Lockout alerts: never missing; the one that had arrived arrives a second time (the price of at-least-once).
      expect(deliveries.get(lockoutNotAccepted)).toBe(1);
      expect(deliveries.get(lockoutAccepted)).toBe(2);
      // The reminder: never twice; it did not arrive, and it is listed for the admin.
      expect(deliveries.get(reminderNotAccepted)).toBeUndefined();
      // Listed for the admin: the held reminder, and any other reminder whose answer came back just before the kill,
      // before the worker wrote "sent" (how many depends on where the kill fell) — never a lockout alert, and no
      // reminder reached anyone twice.
      const letters = await new RedisDeadLetters(redis, 'sspr:').list(50);
      expect(letters.map((l) => l.messageId)).toContain(reminderNotAccepted);
      for (const l of letters) expect({ id: l.messageId, reason: l.reason, kind: lockout({ objectId: users.find((u) => id(u) === l.messageId)?.objectId ?? '' }) }).toEqual({ id: l.messageId, reason: 'uncertain_after_crash', kind: 'expiry' });
      expect(users.filter((u) => lockout(u) === 'expiry').every((u) => (deliveries.get(id(u)) ?? 0) <= 1)).toBe(true);
      expect(users.filter((u) => lockout(u) === 'lockout').every((u) => (deliveries.get(id(u)) ?? 0) >= 1)).toBe(true);
      expect(graph.requests.some((r) => r.path.startsWith('/v1.0/chats/') && r.status === 403)).toBe(true);
    } finally {
      graph.denyMessageReads = false;
      await second?.terminate();
      await connector.stop();
    }
  });
});
