import type Redis from 'ioredis';
import { MemoryAuditLog } from '../../adapters/audit/jsonAuditLog';
import { RedisKeys } from '../../adapters/redis/redisKeys';
import { UserRecordMemo } from '../../adapters/redis/userRecordMemo';
import { createRedisSecurityAdapters, type SecurityAdapters } from '../../adapters/securityInfoAdapters';
import type { MethodToSave } from '../../domain/ports/methodStore';
import { FixedClock } from '../support/fixedClock';
import { startRedis, type RedisServer } from '../support/redisServer';
import { connect, testConfig, user } from '../contract/securityKit';
import { RedisVerificationBlock } from '../../adapters/redis/redisVerificationBlock';
import { RedisConversationRefStore } from '../../adapters/redis/redisConversationRefStore';

/**
 * Issue 15 item 2: the per-turn memo of a user's security info (adapters/redis/userRecordMemo.ts) — read once per
 * scope, re-read behind every write of the turn, nothing kept outside the scope. Runs on a Redis Cluster too
 * (`npm run test:cluster`, F20: the record's keys share the user's hash tag).
 */
let server: RedisServer;
let redis: Redis;
let other: Redis;
let clock: FixedClock;
let memo: UserRecordMemo;
let a: SecurityAdapters;
let b: SecurityAdapters;

beforeAll(async () => {
  server = await startRedis();
  redis = await connect(server.port);
  other = await connect(server.port);
});
afterAll(async () => {
  redis.disconnect();
  other.disconnect();
  await server.destroy();
});
beforeEach(() => {
  clock = new FixedClock();
  memo = new UserRecordMemo(redis, new RedisKeys('sspr:'));
  a = createRedisSecurityAdapters(redis, testConfig(), { clock, audit: new MemoryAuditLog(clock) }, memo);
  // Another instance (no memo), changing the same user behind the turn's back.
  b = createRedisSecurityAdapters(other, testConfig(), { clock, audit: new MemoryAuditLog(clock) });
});

const email = (id: string, at: number, confirmedAt: number | null = null): MethodToSave => ({
  method: { id, kind: 'email', maskedDestination: 'j…@contoso.example', confirmedAt, lastUsedAt: null, createdAt: at, source: 'user', channels: ['email'] },
  secrets: { destination: `${id}@contoso.example` },
});

test('issue 15: inside a scope a user’s methods, proof, hold and flags come from one read; another instance’s later change is not seen until the next scope', async () => {
  const u = user('memo-1');
  await a.methods.save(u, email('m1', 1));
  await a.stepUps.recordProof(u, clock.now(), 600);
  await memo.run(async () => {
    expect((await a.methods.list(u)).map((m) => m.id)).toEqual(['m1']);
    // Behind the turn's back: the memo keeps the turn's first view of the record…
    await b.methods.save(u, email('m2', 2));
    await b.stepUps.clearProof(u);
    expect((await a.methods.list(u)).map((m) => m.id)).toEqual(['m1']);
    expect(await a.stepUps.lastProof(u)).toBe(clock.now());
    expect((await a.methods.get(u, 'm1'))?.secrets.destination).toBe('m1@contoso.example');
    expect(await a.methods.get(u, 'm2')).toBeNull();
  });
  // …and the next scope (turn) reads afresh; outside a scope every read goes to Redis.
  await memo.run(async () => {
    expect((await a.methods.list(u)).map((m) => m.id)).toEqual(['m1', 'm2']);
    expect(await a.stepUps.lastProof(u)).toBeNull();
  });
  await b.methods.remove(u, 'm2');
  expect((await a.methods.list(u)).map((m) => m.id)).toEqual(['m1']);
});

test('issue 15: every write of the turn is seen by its later reads (save, confirm, use, remove, proof, hold, flag, remove all)', async () => {
  const u = user('memo-2');
  await memo.run(async () => {
    expect(await a.methods.list(u)).toEqual([]);
    expect(await a.stepUps.hasFlag(u, 'prefilled')).toBe(false);
    await a.methods.save(u, email('m1', 1));
    expect((await a.methods.list(u)).map((m) => [m.id, m.confirmedAt])).toEqual([['m1', null]]);
    expect(await a.methods.markConfirmed(u, 'm1', 500)).toBe(true);
    expect((await a.methods.get(u, 'm1'))?.method.confirmedAt).toBe(500);
    await a.methods.markUsed(u, 'm1', 700);
    expect((await a.methods.list(u))[0]?.lastUsedAt).toBe(700);
    // A replaced method starts from the timestamps it is saved with.
    await a.methods.save(u, email('m1', 1));
    expect((await a.methods.list(u))[0]?.confirmedAt).toBeNull();
    await a.stepUps.recordProof(u, clock.now(), 600);
    expect(await a.stepUps.lastProof(u)).toBe(clock.now());
    await a.stepUps.clearProof(u);
    expect(await a.stepUps.lastProof(u)).toBeNull();
    await a.stepUps.startHold(u, clock.now() + 60_000);
    expect(await a.stepUps.holdUntil(u)).toBe(clock.now() + 60_000);
    await a.stepUps.setFlag(u, 'prefilled');
    expect(await a.stepUps.hasFlag(u, 'prefilled')).toBe(true);
    expect(await a.methods.remove(u, 'm1')).toBe(true);
    expect(await a.methods.list(u)).toEqual([]);
    await a.methods.save(u, email('m3', 3));
    await a.methods.removeAll(u);
    expect(await a.methods.list(u)).toEqual([]);
  });
});

test('R31: a memoised hold is still compared with the clock at each read — it ends on time within one turn', async () => {
  const u = user('memo-3');
  await a.stepUps.startHold(u, clock.now() + 1_000);
  await memo.run(async () => {
    expect(await a.stepUps.holdUntil(u)).toBe(clock.now() + 1_000);
    clock.advance(1_000);
    expect(await a.stepUps.holdUntil(u)).toBeNull();
  });
});

test('issue 15: work a turn leaves running reads afresh once the turn has ended (an R18 notification is not served the turn’s view)', async () => {
  const u = user('memo-4');
  await a.methods.save(u, email('m1', 1));
  let later: (() => Promise<string[]>) | undefined;
  await memo.run(async () => {
    expect(memo.active()).toBe(true);
    await a.methods.list(u);
    later = async () => (await a.methods.list(u)).map((m) => m.id);
  });
  await b.methods.save(u, email('m2', 2));
  // The closure still runs in the ended scope's async context.
  expect(await later!()).toEqual(['m1', 'm2']);
});

test('issue 15: the memo refuses a key prefix other than the stores’ (it would read other keys than they write)', () => {
  expect(() => createRedisSecurityAdapters(redis, testConfig(undefined, 'other:'), { clock, audit: new MemoryAuditLog(clock) }, memo)).toThrow(/prefix/);
});

test('R9 issue 15: the block comes with the record — a block set before the turn blocks, one counted in the turn is seen at once, a cleared one is gone, and a test clock still ends it', async () => {
  const settings = { threshold: 2, windowMs: 60_000, blockMs: 60_000 };
  const mine = new RedisVerificationBlock(redis, { prefix: 'sspr:' }, settings, memo);
  const theirs = new RedisVerificationBlock(other, { prefix: 'sspr:' }, settings);
  const u = user('memo-block');
  await theirs.recordFailure(u);
  await theirs.recordFailure(u);
  const until = await theirs.blockedUntil(u);
  expect(until).not.toBeNull();
  await memo.run(async () => {
    expect(await mine.blockedUntil(u)).toBe(until);
    await mine.clear(u);
    expect(await mine.blockedUntil(u)).toBeNull();
    await mine.recordFailure(u);
    expect(await mine.blockedUntil(u)).toBeNull();
    const blocked = await mine.recordFailure(u);
    expect(blocked.blockedUntil).not.toBeNull();
    // Read after the write, in the same turn: the re-read record has it.
    expect(await mine.blockedUntil(u)).toBe(blocked.blockedUntil);
  });
  // With a test clock (F17's test mode) the block's end is compared with that clock, as the script does.
  const timed = new RedisVerificationBlock(redis, { prefix: 'sspr:', clock }, settings, memo);
  const v = user('memo-block-clock');
  await timed.recordFailure(v);
  const b2 = await timed.recordFailure(v);
  await memo.run(async () => {
    expect(await timed.blockedUntil(v)).toBe(b2.blockedUntil);
    clock.advance(60_001);
    expect(await timed.blockedUntil(v)).toBeNull();
  });
});

test('issue 15: the conversation reference comes with the record, and a save in the turn is seen by its later reads', async () => {
  const mine = new RedisConversationRefStore(redis, 'sspr:', undefined, memo);
  const theirs = new RedisConversationRefStore(other, 'sspr:');
  const u = user('memo-ref');
  await theirs.save(u, { conversation: { id: 'a:1' } });
  await memo.run(async () => {
    expect(await mine.get(u)).toEqual({ conversation: { id: 'a:1' } });
    await theirs.save(u, { conversation: { id: 'a:2' } });
    expect(await mine.get(u)).toEqual({ conversation: { id: 'a:1' } });
    await mine.save(u, { conversation: { id: 'a:3' } });
    expect(await mine.get(u)).toEqual({ conversation: { id: 'a:3' } });
  });
  expect(await mine.get(u)).toEqual({ conversation: { id: 'a:3' } });
});
