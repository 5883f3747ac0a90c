import { HmacKeyRing } from '../../adapters/crypto/keyRing';
import { MemoryVerificationStore } from '../../adapters/memory/memoryVerificationStore';
import { RedisKeys } from '../../adapters/redis/redisKeys';
import { RedisVerificationStore } from '../../adapters/redis/redisVerificationStore';
import type { VerificationStore } from '../../domain/ports/verificationStore';
import { FixedClock } from '../support/fixedClock';
import { advanceRedisTime, KEY_A, KEY_B, user, privateRedis } from './securityKit';

interface Subject {
  store: VerificationStore;
  advance(ms: number): Promise<void>;
}

const redisServer = privateRedis();


const impls: [string, () => Subject][] = [
  [
    'memory',
    () => {
      const clock = new FixedClock();
      return { store: new MemoryVerificationStore(clock, new HmacKeyRing([KEY_A], 'otp')), advance: async (ms) => clock.advance(ms) };
    },
  ],
  [
    'redis',
    () => ({ store: new RedisVerificationStore(redisServer.client, new RedisKeys('c:'), new HmacKeyRing([KEY_A], 'otp')), advance: (ms) => advanceRedisTime(redisServer.client, ms) }),
  ],
];

describe.each(impls)('VerificationStore contract (%s)', (_name, make) => {
  let s: Subject;
  const slot = { user: user(), purpose: 'verify' as const, methodId: 'm1' };
  beforeEach(async () => {
    await redisServer.client.flushall();
    s = make();
  });

  test('R6: accepted at T+4:59', async () => {
    await s.store.create(slot, '123456', 300);
    await s.advance(299_000);
    expect(await s.store.attempt(slot, '123456', 5)).toBe('ok');
  });

  test('R6: refused at T+5:01 as expired', async () => {
    await s.store.create(slot, '123456', 300);
    await s.advance(301_000);
    expect(await s.store.attempt(slot, '123456', 5)).toBe('expired');
  });

  test('R7: a second use is refused', async () => {
    await s.store.create(slot, '123456', 300);
    expect(await s.store.attempt(slot, '123456', 5)).toBe('ok');
    expect(await s.store.attempt(slot, '123456', 5)).toBe('no_code');
  });

  test('R8: 5 wrong tries kill the code; the 6th fails even if right', async () => {
    await s.store.create(slot, '123456', 300);
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await s.store.attempt(slot, '000000', 5));
    expect(outcomes).toEqual(['invalid', 'invalid', 'invalid', 'invalid', 'too_many_tries']);
    expect(await s.store.attempt(slot, '123456', 5)).toBe('too_many_tries');
  });

  test('R8: the right code on the 5th try after 4 wrong ones is accepted (tries counted before compare)', async () => {
    await s.store.create(slot, '123456', 300);
    for (let i = 0; i < 4; i++) expect(await s.store.attempt(slot, '000000', 5)).toBe('invalid');
    expect(await s.store.attempt(slot, '123456', 5)).toBe('ok');
  });

  test('R11: a new code replaces the old one', async () => {
    await s.store.create(slot, '111111', 300);
    await s.store.create(slot, '222222', 300);
    expect(await s.store.attempt(slot, '111111', 5)).toBe('invalid');
    expect(await s.store.attempt(slot, '222222', 5)).toBe('ok');
  });

  test('a code for one method or purpose does not match another', async () => {
    await s.store.create(slot, '123456', 300);
    expect(await s.store.attempt({ ...slot, methodId: 'm2' }, '123456', 5)).toBe('no_code');
    expect(await s.store.attempt({ ...slot, purpose: 'register' }, '123456', 5)).toBe('no_code');
  });

  test('discard drops the live code', async () => {
    await s.store.create(slot, '123456', 300);
    await s.store.discard(slot);
    expect(await s.store.attempt(slot, '123456', 5)).toBe('no_code');
  });
});

describe('RedisVerificationStore specifics', () => {
  const slot = { user: user('oid-r'), purpose: 'register' as const, methodId: 'm9' };
  beforeEach(() => redisServer.client.flushall());

  test('R5/R6: only an HMAC with its key id is stored, and the expiry is set with the key', async () => {
    const store = new RedisVerificationStore(redisServer.client, new RedisKeys('c:'), new HmacKeyRing([KEY_A], 'otp'));
    const { expiresAt } = await store.create(slot, '654321', 300);
    const key = 'c:{u:tenant-1:oid-r}:code:register:m9';
    const raw = await redisServer.client.get(key);
    expect(raw).toMatch(/^k1\|[0-9a-f]{64}\|0$/);
    expect(raw).not.toContain('654321');
    const pttl = await redisServer.client.pttl(key);
    expect(pttl).toBeGreaterThan(299_000);
    expect(pttl).toBeLessThanOrEqual(300_000);
    const [sec] = await redisServer.client.time();
    expect(Math.abs(expiresAt - (Number(sec) * 1000 + 300_000))).toBeLessThan(2000);
  });

  test('R5: rotation — a code stored under the old key verifies after a new key becomes active', async () => {
    const old = new RedisVerificationStore(redisServer.client, new RedisKeys('c:'), new HmacKeyRing([KEY_A], 'otp'));
    const rotated = new RedisVerificationStore(redisServer.client, new RedisKeys('c:'), new HmacKeyRing([KEY_B, KEY_A], 'otp'));
    await old.create(slot, '246810', 300);
    expect(await rotated.attempt(slot, '246810', 5)).toBe('ok');
  });

  test('F19: SCRIPT FLUSH is transparent', async () => {
    const store = new RedisVerificationStore(redisServer.client, new RedisKeys('c:'), new HmacKeyRing([KEY_A], 'otp'));
    await store.create(slot, '135790', 300);
    await redisServer.client.script('FLUSH');
    expect(await store.attempt(slot, '000000', 5)).toBe('invalid');
    await redisServer.client.script('FLUSH');
    expect(await store.attempt(slot, '135790', 5)).toBe('ok');
  });
});
