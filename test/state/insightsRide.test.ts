import type Redis from 'ioredis';
import { RedisInsightsStore } from '../../adapters/redis/redisInsightsStore';
import { WriteRider } from '../../adapters/redis/writeRider';
import { InsightsAuditLog, InsightsRecorder } from '../../domain/insights/insightsRecorder';
import type { AuditEvent, AuditLog } from '../../domain/ports/auditLog';
import type { InsightsStore } from '../../domain/ports/insightsStore';
import { createRedis } from '../../bot/redisClient';
import { RedisStorage } from '../../bot/redisStorage';
import { startRedis, type RedisServer } from '../support/redisServer';

/**
 * Issue 15 item 2: the insights events of one turn wait for the turn's last write and leave in it. The decorator
 * (InsightsAuditLog) records events that touch a user's flow mark in order, one at a time; events that only add
 * counters are recorded at once next to them, so two of them in one turn (an R30 telephony alert and its SMS's
 * `code.send`) both ride — one behind the other, the second missed the ride and went on its own.
 */
let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.destroy();
});

function countWrites(redis: Redis): () => number {
  let writes = 0;
  const stream = (redis as unknown as { stream: NodeJS.WritableStream }).stream;
  const original = stream.write.bind(stream) as (...a: unknown[]) => boolean;
  stream.write = (...a: unknown[]) => {
    writes++;
    return original(...a);
  };
  return () => writes;
}

async function ready(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') await new Promise<void>((r) => redis.once('ready', () => r()));
}

const trail: AuditLog = { record: async () => undefined };
const user = { tenantId: 't', objectId: 'o' };
const alert: AuditEvent = { type: 'telephony.alert', correlationId: 'c1', outcome: 'info', reason: 'hourly_sends_above_baseline', detail: { hourCount: 4, baselinePerHour: 1 } };
const sms: AuditEvent = { type: 'code.send', correlationId: 'c1', user, outcome: 'success', detail: { channel: 'sms', purpose: 'register', country: 'NL', prefix: '+3161' } };

async function rig(prefix: string): Promise<{ redis: Redis; storage: RedisStorage; audit: InsightsAuditLog; day: () => Promise<Record<string, string>> }> {
  const redis = createRedis(server.url);
  await ready(redis);
  // The rider's own time-out far away: only the state write lets the writers go (as inside a turn).
  const rider = new WriteRider(1_000);
  const storage = new RedisStorage(redis, { prefix: `${prefix}state:`, rider });
  const store = new RedisInsightsStore(redis, prefix, { rider });
  const clock = { now: () => Date.now() };
  const audit = new InsightsAuditLog(trail, new InsightsRecorder({ store, clock, pseudonym: (u) => `p-${u.objectId}` }), clock);
  // Load the scripts first (EVALSHA → NOSCRIPT → EVAL, F19).
  await Promise.all([store.add(Date.now(), [{ field: 'warm' }]), storage.write({ warm: { n: 1 } })]);
  const day = (): Promise<Record<string, string>> => redis.hgetall(`${prefix}ins:{d${Math.floor(Date.now() / 86_400_000)}}:day`);
  return { redis, storage, audit, day };
}

test('issue 15 R30: a turn’s two counter-only insights events (the telephony alert, its SMS’s send) both ride with the state write — one socket write, each counted once', async () => {
  const { redis, storage, audit, day } = await rig('ride2:');
  try {
    const writes = countWrites(redis);
    const before = writes();
    // As PhoneGuard and OneTimeCodeService record them: the alert after the hourly count, the send after the provider.
    await audit.record(alert);
    await audit.record(sms);
    await new Promise((r) => setTimeout(r, 20));
    expect(writes() - before).toBe(0); // both waiting for a ride
    await storage.write({ 'msteams/conversations/ride2/': { n: 2 } });
    await audit.settled();
    // One behind the other (the decorator's old single queue): 2 — the send's counters after the state write.
    expect(writes() - before).toBe(1);
    expect(await day()).toMatchObject({ 'telephony.alerts': '1', 'sends:sms': '1', 'sends.country:NL': '1', 'sends.prefix:+3161': '1' });
  } finally {
    redis.disconnect();
  }
});

test('issue 15: events that touch the flow mark stay in order — a reset started and done back to back, a counter-only event between them, counts its duration', async () => {
  const { redis, storage, audit, day } = await rig('ride-order:');
  try {
    await audit.record({ type: 'recovery.reset.start', correlationId: 'c2', user, outcome: 'success' });
    await audit.record(sms);
    await audit.record({ type: 'recovery.password_reset', correlationId: 'c2', user, outcome: 'success' });
    await storage.write({ 'msteams/conversations/ride-order/': { n: 2 } });
    await audit.settled();
    // Recorded out of order, the end's GETDEL ran before the start's SET (which waits for the ride): no duration, and
    // a flow mark left behind.
    const counters = await day();
    expect(counters).toMatchObject({ 'reset.started': '1', 'reset.done': '1', 'sends:sms': '1' });
    expect(Object.keys(counters).filter((k) => k.startsWith('reset.duration:'))).toHaveLength(1);
    expect(await redis.get('ride-order:ins:flow:{p:p-o}')).toBeNull();
  } finally {
    redis.disconnect();
  }
});

test('issue 15: counter-only events still count toward the decorator’s bound (maxPending) and settled() waits for them', async () => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const added: string[] = [];
  const store = {
    add: async (_at: number, incs: readonly { field: string }[]) => {
      await gate;
      added.push(...incs.map((i) => i.field));
    },
  } as unknown as InsightsStore;
  const errors: unknown[] = [];
  const clock = { now: () => 0 };
  const audit = new InsightsAuditLog(trail, new InsightsRecorder({ store, clock, pseudonym: (u) => u.objectId }), clock, (e) => errors.push(e), 1);
  await audit.record(alert);
  await audit.record(alert); // the first still pending: dropped and reported
  expect(errors).toEqual([new RangeError('insights queue full')]);
  let settled = false;
  const s = audit.settled().then(() => (settled = true));
  await new Promise((r) => setTimeout(r, 10));
  expect(settled).toBe(false);
  release();
  await s;
  expect(added).toEqual(['telephony.alerts']);
});
