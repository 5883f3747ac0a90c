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
import { expectTheWeek, scriptedWeek, WEEK_START, type TimedEvent } from './insightsWeek';

const KEY = Buffer.alloc(32, 5);
const DAY = 86_400_000;
/** The report of a Result, or the test fails with the refusal. */
function ok<T>(r: { ok: true; value: T } | { ok: false; reason: string }): T {
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}
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
    expectTheWeek(ok(await new GetInsights({ store, clock }).execute({ from: WEEK_START, to: WEEK_START + 6 * DAY })));
  });

  test('two bot instances writing at once (own connections, any turn on either) give the same numbers', async () => {
    const a = new RedisInsightsStore(await client(), 'two:');
    const b = new RedisInsightsStore(await client(), 'two:');
    await play([a, b], scriptedWeek(), (s, i) => (s + i) % 2);
    expectTheWeek(ok(await new GetInsights({ store: a, clock }).execute({ from: WEEK_START, to: WEEK_START + 6 * DAY })));
    // Both instances read the same.
    expectTheWeek(ok(await new GetInsights({ store: b, clock }).execute({ from: WEEK_START, to: WEEK_START + 6 * DAY })));
  });

  test('the memory store (development without Redis) gives the same numbers', async () => {
    const store = new MemoryInsightsStore(clock);
    await play([store], scriptedWeek(), () => 0);
    expectTheWeek(ok(await new GetInsights({ store, clock }).execute({ from: WEEK_START, to: WEEK_START + 6 * DAY })));
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
