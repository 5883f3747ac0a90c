import type Redis from 'ioredis';
import { MemoryAuditLog } from '../../../adapters/audit/jsonAuditLog';
import { createRedisSecurityAdapters, type SecurityAdapters } from '../../../adapters/securityInfoAdapters';
import { CryptoRandom } from '../../../adapters/crypto/cryptoRandom';
import { OneTimeCodeService } from '../../../domain/codes/oneTimeCodes';
import { SsprError } from '../../../domain/errors';
import type { CodeSender } from '../../../domain/ports/codeSender';
import { FixedClock } from '../../support/fixedClock';
import { CLUSTER_MODE, startRedis, type RedisServer } from '../../support/redisServer';
import { advanceRedisTime, allKeys, connect, testConfig, user } from '../../contract/securityKit';

let server: RedisServer;
let redisA: Redis;
let redisB: Redis;
let clock: FixedClock;
let audit: MemoryAuditLog;
let a: SecurityAdapters;

const PHONE = '+31612345678';
const EMAIL = 'jan.jansen@contoso.example';
const req = (over: Partial<Parameters<OneTimeCodeService['issue']>[0]> = {}) => ({
  user: user(),
  purpose: 'register' as const,
  methodId: 'mob1',
  channel: 'sms' as const,
  destination: PHONE,
  locale: 'en' as const,
  correlationId: 'corr-1',
  ...over,
});

beforeAll(async () => {
  server = await startRedis();
  redisA = await connect(server.port);
  redisB = await connect(server.port);
});
afterAll(async () => {
  redisA.disconnect();
  redisB.disconnect();
  await server.destroy();
});
beforeEach(async () => {
  await redisA.flushall();
  clock = new FixedClock();
  audit = new MemoryAuditLog(clock);
  a = createRedisSecurityAdapters(redisA, testConfig(), { clock, audit, random: new CryptoRandom() });
});

const lastCode = (to = PHONE): string => a.outbox!.lastCode(to)!;

test('R5: a 6-digit code is sent, and Redis holds only its HMAC', async () => {
  const r = await a.oneTimeCodes.issue(req());
  expect(r.ok).toBe(true);
  const code = lastCode();
  expect(code).toMatch(/^\d{6}$/);
  const values = await Promise.all((await redisA.keys('*code:*')).map((k) => redisA.get(k)));
  expect(values.join()).not.toContain(code);
  expect(r.ok && r.value.maskedDestination).toBe('•••••••••78');
});

test('R6: accepted at T+4:59 and refused at T+5:01 against real Redis', async () => {
  await a.oneTimeCodes.issue(req());
  await advanceRedisTime(redisA, 299_000);
  expect(await a.oneTimeCodes.check({ ...req(), code: lastCode() })).toEqual({ ok: true, value: undefined });
  await advanceRedisTime(redisA, 61_000);
  await a.oneTimeCodes.issue(req());
  await advanceRedisTime(redisA, 301_000);
  expect(await a.oneTimeCodes.check({ ...req(), code: lastCode() })).toMatchObject({ ok: false, reason: 'expired' });
});

test('R7: 50 concurrent submissions of one code from two Redis clients → exactly 1 success', async () => {
  await a.oneTimeCodes.issue(req());
  const code = lastCode();
  const b = createRedisSecurityAdapters(redisB, testConfig(), { clock, audit, random: new CryptoRandom() });
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => (i % 2 ? b : a).oneTimeCodes.check({ ...req(), code, correlationId: `c${i}` })),
  );
  expect(results.filter((r) => r.ok)).toHaveLength(1);
  expect(await a.oneTimeCodes.check({ ...req(), code })).toMatchObject({ ok: false, reason: 'no_code' });
});

test('R8: 5 wrong entries kill the code; the 6th fails although right', async () => {
  await a.oneTimeCodes.issue(req());
  const code = lastCode();
  const wrong = code === '000000' ? '111111' : '000000';
  for (let i = 0; i < 5; i++) expect((await a.oneTimeCodes.check({ ...req(), code: wrong })).ok).toBe(false);
  expect(await a.oneTimeCodes.check({ ...req(), code })).toMatchObject({ ok: false, reason: 'too_many_tries' });
});

test('R10: ≥ 60 s between sends, ≤ 5/h per user and channel, no provider call when throttled', async () => {
  expect((await a.oneTimeCodes.issue(req())).ok).toBe(true);
  const early = await a.oneTimeCodes.issue(req());
  expect(early).toMatchObject({ ok: false, reason: 'throttled' });
  expect(early.ok === false && early.retryAt! - clock.now()).toBeGreaterThan(55_000);
  expect(a.outbox!.list()).toHaveLength(1);
  for (let i = 0; i < 4; i++) {
    await advanceRedisTime(redisA, 61_000);
    expect((await a.oneTimeCodes.issue(req())).ok).toBe(true);
  }
  await advanceRedisTime(redisA, 61_000);
  const sixth = await a.oneTimeCodes.issue(req());
  expect(sixth).toMatchObject({ ok: false, reason: 'throttled' });
  expect(a.outbox!.list()).toHaveLength(5);
  // Another channel of the same user has its own hourly budget.
  expect((await a.oneTimeCodes.issue(req({ channel: 'voice', methodId: 'mob1v' }))).ok).toBe(true);
});

test('R10: ≤ 10 sends per day to one destination, whoever asks', async () => {
  let sent = 0;
  for (let i = 0; i < 12; i++) {
    const r = await a.oneTimeCodes.issue(req({ user: user(`u${i}`), channel: 'email', destination: EMAIL }));
    if (r.ok) sent++;
    else expect(r.reason).toBe('throttled');
  }
  expect(sent).toBe(10);
  expect(a.outbox!.list(EMAIL)).toHaveLength(10);
});

test('R10 R33 attack: 30 users asking at the same moment (two instances) for a code to one mailbox get exactly its 10 a day; the rest no provider call', async () => {
  const b = createRedisSecurityAdapters(redisB, testConfig(), { clock, audit, random: new CryptoRandom() });
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) => (i % 2 ? b : a).oneTimeCodes.issue(req({ user: user(`crowd${i}`), channel: 'email', destination: EMAIL, correlationId: `crowd-${i}` }))),
  );
  expect(results.filter((r) => r.ok)).toHaveLength(10);
  expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'throttled')).toBe(true);
  expect(a.outbox!.list(EMAIL).length + b.outbox!.list(EMAIL).length).toBe(10);
});

test('R30 R33 attack: 40 users registering 40 numbers of one prefix at the same moment (two instances) get no more than the prefix\'s hourly velocity', async () => {
  const policy = { ...testConfig().policy, phone: { ...testConfig().policy.phone, sendsPerPrefixPerHour: 8 } };
  const a8 = createRedisSecurityAdapters(redisA, testConfig(policy), { clock, audit, random: new CryptoRandom() });
  const b8 = createRedisSecurityAdapters(redisB, testConfig(policy), { clock, audit, random: new CryptoRandom() });
  const results = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      (i % 2 ? b8 : a8).oneTimeCodes.issue(req({ user: user(`spray${i}`), destination: `+3161234${String(1000 + i)}`, correlationId: `spray-${i}` })),
    ),
  );
  expect(results.filter((r) => r.ok)).toHaveLength(8);
  expect(a8.outbox!.list().length + b8.outbox!.list().length).toBe(8);
});

test('R33: strangers registering a mailbox use up only its registration cap; its owner still gets verification codes', async () => {
  for (let i = 0; i < 12; i++) await a.oneTimeCodes.issue(req({ user: user(`stranger${i}`), channel: 'email', destination: EMAIL }));
  expect(a.outbox!.list(EMAIL)).toHaveLength(10);
  expect(await a.oneTimeCodes.issue(req({ user: user('stranger99'), channel: 'email', destination: EMAIL }))).toMatchObject({ ok: false, reason: 'throttled' });
  // The owner proving who she is (purpose verify) has her own cap on that mailbox.
  const owner = await a.oneTimeCodes.issue(req({ user: user('owner'), purpose: 'verify', channel: 'email', destination: EMAIL }));
  expect(owner.ok).toBe(true);
  expect(a.outbox!.list(EMAIL)).toHaveLength(11);
});

test('R11/F11: one live code per user and method across two conversations (two instances)', async () => {
  const b = createRedisSecurityAdapters(redisB, testConfig(), { clock, audit, random: new CryptoRandom() });
  await a.oneTimeCodes.issue(req({ correlationId: 'conv-1' }));
  const first = lastCode();
  await advanceRedisTime(redisA, 61_000);
  await b.oneTimeCodes.issue(req({ correlationId: 'conv-2' }));
  const second = b.outbox!.lastCode(PHONE)!;
  if (first !== second) expect(await a.oneTimeCodes.check({ ...req(), code: first })).toMatchObject({ ok: false, reason: 'invalid' });
  expect((await a.oneTimeCodes.check({ ...req(), code: second })).ok).toBe(true);
  // Throttles are shared too: an immediate third request from conversation 1 is throttled.
  expect(await a.oneTimeCodes.issue(req({ correlationId: 'conv-1' }))).toMatchObject({ ok: false, reason: 'throttled' });
});

test('F15: a provider failure is not retried, counts toward R10 and is audited', async () => {
  let calls = 0;
  const failing: CodeSender = {
    send: async () => {
      calls++;
      throw new SsprError('sender_failed', 'provider accepted then failed');
    },
  };
  const svc = new OneTimeCodeService({ store: a.codes, sender: failing, throttle: a.throttle, guard: a.guard, audit, clock, random: new CryptoRandom(), policy: testConfig().policy });
  expect(await svc.issue(req())).toMatchObject({ ok: false, reason: 'send_failed' });
  expect(calls).toBe(1);
  expect(await svc.issue(req())).toMatchObject({ ok: false, reason: 'throttled' });
  expect(calls).toBe(1);
  expect(audit.ofType('code.send').map((e) => e.reason)).toEqual(['sender_failed', 'throttled']);
});

test('F17: an instance whose clock is 90 s off decides expiry by Redis TTL, not its own clock', async () => {
  const skewed = new FixedClock(clock.now() + 90_000);
  const b = createRedisSecurityAdapters(redisB, testConfig(), { clock: skewed, audit, random: new CryptoRandom() });
  await a.oneTimeCodes.issue(req());
  await advanceRedisTime(redisA, 250_000);
  // 250 s + 90 s skew would be past 5 minutes on b's clock; Redis says the code is still live.
  expect((await b.oneTimeCodes.check({ ...req(), code: lastCode() })).ok).toBe(true);
});

test('F20: every key of a user carries the {u:<tenant>:<oid>} hash tag', async () => {
  await a.oneTimeCodes.issue(req());
  await a.oneTimeCodes.issue(req({ channel: 'email', destination: EMAIL, methodId: 'mail1' }));
  await a.methods.save(user(), { method: { id: 'mail1', kind: 'email', confirmedAt: null, lastUsedAt: null, createdAt: 1, source: 'user', channels: ['email'] }, secrets: { destination: EMAIL } });
  await a.recoveryCodes.replace(user(), ['AAAA-BBBB-CCCC-DDDD']);
  await a.totpReplay.accept(user(), 123, { methodId: 'mail1', mark: 'lastUsedAt', at: 1 });
  const keys = await allKeys(redisA);
  const userKeys = keys.filter((k) => !k.includes('{s:') && !k.includes('{tel}'));
  expect(userKeys.length).toBeGreaterThanOrEqual(7);
  for (const k of userKeys) expect(k).toContain('{u:tenant-1:oid-1}');
  // Under npm run test:cluster: the server itself puts them all in one slot.
  if (CLUSTER_MODE) expect(new Set(await Promise.all(userKeys.map((k) => redisA.call('CLUSTER', 'KEYSLOT', k)))).size).toBe(1);
  // Shared counters use their own tag and never the clear destination.
  for (const k of keys) {
    expect(k).not.toContain(PHONE);
    expect(k).not.toContain(EMAIL);
  }
});

test('R20: issue and check write audit events without the code or full destination', async () => {
  await a.oneTimeCodes.issue(req({ methodKind: 'mobilePhone' }));
  const code = lastCode();
  await a.oneTimeCodes.check({ ...req(), code: '000000' === code ? '111111' : '000000' });
  await a.oneTimeCodes.check({ ...req(), code });
  const types = audit.events.map((e) => `${e.type}:${e.outcome}`);
  expect(types).toEqual(['code.send:success', 'code.check:failure', 'code.check:success']);
  const log = audit.lines.join('\n');
  expect(log).not.toContain(code);
  expect(log).not.toContain(PHONE);
  expect(log).not.toContain('oid-1');
  expect(log).toContain('•••••••••78');
});
