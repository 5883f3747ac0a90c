/**
 * The delivery ledger's in-doubt transitions (R39, F21), one suite for the memory fake and the Redis adapter (real
 * Redis): posting by a dead attempt is reported in doubt with its time, exactly one attempt can adopt it, a
 * resolver's lease makes others wait and lets them take over when it runs out, and a re-send keeps the first time.
 * Plus the pure decision table of domain/campaigns/inDoubt.ts.
 */
import Redis from 'ioredis';
import { sleep, startRedis, type RedisServer } from '../support/redisServer';
import { FixedClock } from '../support/fixedClock';
import { MemoryDeliveryLedger } from '../../adapters/memory/memoryCampaignStores';
import { RedisDeliveryLedger } from '../../adapters/redis/redisCampaignStores';
import type { DeliveryLedger } from '../../domain/campaigns/ports';
import { decideInDoubt, IN_DOUBT_FALLBACK } from '../../domain/campaigns/inDoubt';
import { withIdempotencyKey } from '../../bot/worker/delivery';

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
  while (redis.status !== 'ready') await sleep(20);
});
afterAll(async () => {
  redis.disconnect();
  await server.destroy();
});

const DAY = 86400_000;
// BullMQ lock tokens contain colons: the ledger must not split on them.
const A = 'job-1:token:a';
const B = 'job-1:token:b';
const C = 'job-1:token:c';

describe.each([
  ['memory', (clock: FixedClock): DeliveryLedger => new MemoryDeliveryLedger(clock)],
  ['redis', (): DeliveryLedger => new RedisDeliveryLedger(redis, `t${Math.random().toString(36).slice(2)}:`)],
])('F21 R39: the %s delivery ledger with in-doubt messages', (_name, make) => {
  test('a POST left by a dead attempt is in doubt with its time; one adopter wins, the others wait for its lease, then take over', async () => {
    const clock = new FixedClock();
    const l = make(clock);
    const t0 = clock.now();
    expect(await l.claim('m1', A, 10_000, t0)).toEqual({ state: 'claimed' });
    await l.markPosting('m1', A, DAY, t0);
    // A dies. B and C both find it in doubt, with A's posting time.
    const b = await l.claim('m1', B, 10_000, t0 + 5000);
    const c = await l.claim('m1', C, 10_000, t0 + 5000);
    expect(b).toMatchObject({ state: 'uncertain', since: t0 });
    expect(c).toMatchObject({ state: 'uncertain', since: t0 });
    if (b.state !== 'uncertain' || c.state !== 'uncertain') throw new Error('unreachable');
    // Compare-and-set: only one of them resolves it.
    expect(await l.adopt('m1', b.holder, B, 20_000, t0 + 5000)).toBe(true);
    expect(await l.adopt('m1', c.holder, C, 20_000, t0 + 5000)).toBe(false);
    expect(await l.claim('m1', C, 10_000, t0 + 6000)).toEqual({ state: 'busy', retryInMs: 19_000 });
    // B dies while resolving: after its lease the message is in doubt again, still with A's time.
    const again = await l.claim('m1', C, 10_000, t0 + 26_000);
    expect(again).toMatchObject({ state: 'uncertain', since: t0 });
    if (again.state !== 'uncertain') throw new Error('unreachable');
    expect(await l.adopt('m1', again.holder, C, 20_000, t0 + 26_000)).toBe(true);
    // C re-sends: the posting record keeps the first POST's time.
    await l.markPosting('m1', C, DAY, t0);
    expect(await l.claim('m1', A, 10_000, t0 + 30_000)).toMatchObject({ state: 'uncertain', since: t0 });
    await l.complete('m1', 'sent', DAY);
    expect(await l.claim('m1', A, 10_000, t0 + 31_000)).toEqual({ state: 'done', outcome: 'sent' });
  });

  test('release gives back only the attempt’s own record (claim, posting or resolving)', async () => {
    const clock = new FixedClock();
    const l = make(clock);
    const t0 = clock.now();
    await l.claim('m2', A, 10_000, t0);
    await l.markPosting('m2', A, DAY, t0);
    await l.release('m2', B);
    expect(await l.claim('m2', B, 10_000, t0)).toMatchObject({ state: 'uncertain' });
    await l.release('m2', A);
    expect(await l.claim('m2', B, 10_000, t0)).toEqual({ state: 'claimed' });
  });
});

describe('R39: deciding an in-doubt message (pure)', () => {
  const base = { since: 1_000_000, visibleAfterMs: 30_000 };
  test('waits until an accepted message is surely listed, then reads', () => {
    expect(decideInDoubt({ ...base, kind: 'expiry', now: 1_010_000, readBack: null })).toEqual({ action: 'wait', inMs: 20_000 });
    expect(decideInDoubt({ ...base, kind: 'expiry', now: 1_030_000, readBack: null })).toEqual({ action: 'read' });
  });
  test.each([
    ['found', 'expiry', { action: 'mark_sent' }],
    ['absent', 'expiry', { action: 'resend', why: 'absent' }],
    ['error', 'lockout', { action: 'retry' }],
    ['unavailable', 'lockout', { action: 'resend', why: 'fallback' }],
    ['unavailable', 'securityAlert', { action: 'resend', why: 'fallback' }],
    ['unavailable', 'expiry', { action: 'give_up' }],
    ['unavailable', 'registration', { action: 'give_up' }],
    ['unavailable', 'reconfirm', { action: 'give_up' }],
  ] as const)('read-back %s for %s', (readBack, kind, want) => {
    expect(decideInDoubt({ ...base, kind, now: 2_000_000, readBack })).toEqual(want);
  });
  test('the fallback table: alerts at-least-once, reminders and nudges at-most-once', () => {
    expect(IN_DOUBT_FALLBACK).toEqual({ lockout: 'resend', securityAlert: 'resend', expiry: 'give_up', registration: 'give_up', reconfirm: 'give_up' });
  });
  test('the key is stamped into every Adaptive Card of the activity, nothing else changes', () => {
    const card = { type: 'AdaptiveCard', version: '1.5', body: [] };
    const out = withIdempotencyKey({ type: 'message', text: 'x', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }, { contentType: 'image/png', contentUrl: 'u' }] }, 'msg-1');
    expect(out.attachments).toEqual([
      { contentType: 'application/vnd.microsoft.card.adaptive', content: { ...card, ssprIdempotencyKey: 'msg-1' } },
      { contentType: 'image/png', contentUrl: 'u' },
    ]);
    expect(card).not.toHaveProperty('ssprIdempotencyKey');
  });
});
