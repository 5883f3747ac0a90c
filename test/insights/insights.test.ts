import type { Redis } from 'ioredis';
import { GetInsights } from '../../domain/insights/getInsights';
import { InsightsRecorder } from '../../domain/insights/insightsRecorder';
import { classify } from '../../domain/insights/classify';
import { pseudonymOf } from '../../adapters/audit/jsonAuditLog';
import { RedisInsightsStore } from '../../adapters/redis/redisInsightsStore';
import { MemoryInsightsStore } from '../../adapters/memory/memoryInsightsStore';
import type { InsightsStore } from '../../domain/ports/insightsStore';
import { FixedClock } from '../support/fixedClock';
import { startRedis, type RedisServer } from '../support/redisServer';
import { scriptedWeek, WEEK_START, type TimedEvent } from './insightsWeek';

const KEY = Buffer.alloc(32, 5);
const DAY = 86_400_000;
const pseudonym = (u: { tenantId: string; objectId: string }): string => pseudonymOf(KEY, u);

/**
 * Play the week: every user's sequence in order, all sequences at once, each event on the instance `pick` chooses
 * (two bot processes behind a load balancer: any turn may land on either).
 */
async function play(stores: readonly InsightsStore[], seqs: readonly (readonly TimedEvent[])[], pick: (seq: number, i: number) => number): Promise<void> {
  await Promise.all(
    seqs.map(async (seq, s) => {
      for (let i = 0; i < seq.length; i++) {
        const { at, event } = seq[i]!;
        await new InsightsRecorder({ store: stores[pick(s, i)]!, clock: { now: () => at }, pseudonym }).record(event);
      }
    }),
  );
}

/** The numbers worked out by hand from test/insights/insightsWeek.ts. */
function expectTheWeek(r: Awaited<ReturnType<GetInsights['execute']>>): void {
  if (!r.ok) throw new Error(r.reason);
  const v = r.value;
  expect(v.days).toEqual(['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22']);
  expect(v.daily).toEqual({
    resets: [1, 2, 3, 1, 1, 1, 2],
    unlocks: [0, 0, 0, 0, 0, 2, 0],
    registrations: [10, 3, 0, 0, 0, 0, 0],
    blocks: [0, 0, 0, 1, 0, 0, 0],
    throttles: [0, 0, 0, 0, 0, 0, 4],
    sms: [2, 2, 2, 2, 2, 2, 32],
    voice: [0, 0, 0, 0, 0, 0, 0],
    email: [1, 2, 3, 1, 1, 3, 2],
    phoneBaseline: [0, 0.29, 0.57, 0.86, 1.14, 1.43, 1.71],
  });
  expect(v.totals).toEqual({ resets: 11, unlocks: 2, registrations: 13, blocks: 1, throttles: 4, gateRefusals: 2, talkRequests: 0 });
  expect(v.funnel.reset).toEqual({
    started: 12,
    verified: 11,
    done: 11,
    refused: 3,
    failed: 1,
    topReasons: [
      { key: 'verification_wrong', count: 5 },
      { key: 'blocked', count: 2 },
      { key: 'not_registered', count: 2 },
      { key: 'directory_history', count: 1 },
    ],
  });
  expect(v.funnel.unlock).toEqual({ started: 2, verified: 2, done: 2, refused: 0, failed: 0, topReasons: [] });
  expect(v.registrations).toEqual({
    byKind: [
      { key: 'email', count: 5 },
      { key: 'mobilePhone', count: 5 },
      { key: 'authenticatorApp', count: 3 },
    ],
    changed: 0,
    removed: 0,
    refused: [{ key: 'answer_too_short', count: 1 }],
  });
  expect(v.sends).toEqual({
    byChannel: { sms: 44, voice: 0, email: 13 },
    byCountry: [
      { key: 'NL', count: 34 },
      { key: 'BE', count: 10 },
    ],
    byPrefix: [
      { key: '+31612', count: 34 },
      { key: '+32470', count: 10 },
    ],
    refused: [],
    peakHour: { at: '2026-11-22T10:00:00.000Z', count: 30, baselinePerHour: 1, ratio: 30 },
    alerts: 1,
  });
  expect(v.throttles.byKind).toEqual([
    { key: 'sms', count: 3 },
    { key: 'prefix', count: 1 },
  ]);
  expect(v.gate).toEqual([
    { key: 'R1', count: 1 },
    { key: 'R2', count: 1 },
  ]);
  expect(v.handoffs).toEqual({
    created: 2,
    byPurpose: [
      { key: 'reset', count: 1 },
      { key: 'unlock', count: 1 },
    ],
    outcomes: [
      { key: 'done', count: 1 },
      { key: 'expired', count: 1 },
    ],
    refused: [{ key: 'not_agent', count: 1 }],
  });
  // 40 50 60 70 100 [130] 200 250 320 400 1000 s: the 6th of 11 is in the ≤ 150 s bucket.
  expect(v.timeToReset.finished).toBe(11);
  expect(v.timeToReset.medianSeconds).toBe(150);
  expect(v.timeToReset.histogram.map((h) => h.count)).toEqual([0, 0, 1, 2, 1, 1, 1, 0, 1, 1, 2, 0, 0, 1, 0, 0, 0]);
}

describe('insights on real Redis: a scripted week gives the exact numbers (issue 14 acceptance 1)', () => {
  let server: RedisServer;
  const clients: Redis[] = [];
  const clock = new FixedClock(WEEK_START + 7 * DAY + 3_600_000);

  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await server?.destroy();
  });
  const client = async (): Promise<Redis> => {
    const c = server.client();
    clients.push(c);
    if (c.status !== 'ready') await new Promise((r) => c.once('ready', r));
    return c;
  };

  test('R30, R20: one instance, events in order: every chart number of the week', async () => {
    const store = new RedisInsightsStore(await client(), 'one:');
    await play([store], scriptedWeek(), () => 0);
    expectTheWeek(await new GetInsights({ store, clock }).execute({ from: WEEK_START, to: WEEK_START + 6 * DAY }));
  });

  test('two bot instances writing at once (own connections, any turn on either) give the same numbers', async () => {
    const a = new RedisInsightsStore(await client(), 'two:');
    const b = new RedisInsightsStore(await client(), 'two:');
    await play([a, b], scriptedWeek(), (s, i) => (s + i) % 2);
    expectTheWeek(await new GetInsights({ store: a, clock }).execute({ from: WEEK_START, to: WEEK_START + 6 * DAY }));
    // Both instances read the same.
    expectTheWeek(await new GetInsights({ store: b, clock }).execute({ from: WEEK_START, to: WEEK_START + 6 * DAY }));
  });

  test('the memory store (development without Redis) gives the same numbers', async () => {
    const store = new MemoryInsightsStore(clock);
    await play([store], scriptedWeek(), () => 0);
    expectTheWeek(await new GetInsights({ store, clock }).execute({ from: WEEK_START, to: WEEK_START + 6 * DAY }));
  });

  test('a part of the week, and ranges that are refused', async () => {
    const store = new RedisInsightsStore(await client(), 'one:');
    const g = new GetInsights({ store, clock });
    const mid = await g.execute({ from: WEEK_START + 2 * DAY, to: WEEK_START + 3 * DAY + 5 });
    if (!mid.ok) throw new Error(mid.reason);
    expect(mid.value.days).toEqual(['2026-11-18', '2026-11-19']);
    expect(mid.value.daily.resets).toEqual([3, 1]);
    expect(mid.value.funnel.reset.topReasons).toEqual([
      { key: 'verification_wrong', count: 5 },
      { key: 'not_registered', count: 2 },
      { key: 'blocked', count: 1 },
    ]);
    expect(await g.execute({ from: WEEK_START + DAY, to: WEEK_START })).toEqual({ ok: false, reason: 'range_invalid' });
    expect(await g.execute({ from: WEEK_START - 400 * DAY, to: WEEK_START })).toEqual({ ok: false, reason: 'range_too_long' });
    expect(await g.execute({ from: WEEK_START - 500 * DAY, to: WEEK_START - 450 * DAY })).toEqual({ ok: false, reason: 'range_expired' });
  });

  test('memory per day is bounded: 5,000 distinct prefixes in a day keep 100 values and `other`; the use is reported', async () => {
    const redis = await client();
    const store = new RedisInsightsStore(redis, 'cap:');
    const at = WEEK_START + 8 * 3_600_000;
    for (let i = 0; i < 5000; i += 250) {
      await Promise.all(Array.from({ length: 250 }, (_, j) => store.add(at, [{ field: `sends.prefix:+4${String(i + j).padStart(4, '0')}` }, { field: 'sends:sms' }])));
    }
    const [day] = await store.days(Math.floor(at / DAY), Math.floor(at / DAY));
    const prefixes = Object.keys(day!).filter((k) => k.startsWith('sends.prefix:'));
    expect(prefixes).toHaveLength(101);
    expect(day!['sends.prefix:other']).toBe(4900);
    expect(day!['sends:sms']).toBe(5000);
    const usage = await store.usage(Math.floor(at / DAY));
    expect(usage.fields).toBeLessThanOrEqual(2 * 104);
    expect(usage.bytes).toBeGreaterThan(1000);
    expect(usage.bytes).toBeLessThan(64 * 1024);
    // Kept 400 days: the day and hour hashes expire after 400 days.
    const ttl = await redis.ttl(`cap:ins:{d${Math.floor(at / DAY)}}:day`);
    expect(ttl).toBeGreaterThan(399 * 86_400);
    expect(ttl).toBeLessThanOrEqual(400 * 86_400);
  });
});

test('classify never makes a counter out of free text', () => {
  const c = classify({ type: 'recovery.reset.start', correlationId: 'x', outcome: 'refused', reason: 'jan@contoso.example called +31 6 1234 5678' });
  expect(c.counters).toEqual(['reset.refused', 'funnel.reset:other']);
  expect(classify({ type: 'something.else', correlationId: 'x', outcome: 'info' })).toEqual({ counters: [] });
});
