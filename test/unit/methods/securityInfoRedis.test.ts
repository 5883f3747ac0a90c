import type Redis from 'ioredis';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { MemoryAuditLog } from '../../../adapters/audit/jsonAuditLog';
import { Argon2AnswerHasher } from '../../../adapters/crypto/argon2AnswerHasher';
import { OtplibTotpEngine } from '../../../adapters/crypto/otplibTotpEngine';
import { createRedisSecurityAdapters, type SecurityAdapters } from '../../../adapters/securityInfoAdapters';
import { DEFAULT_POLICY, type Policy } from '../../../domain/policy/policy';
import { drawQuestions, normaliseAnswer } from '../../../domain/methods/securityQuestions';
import { generateRecoveryCodes } from '../../../domain/methods/recoveryCodes';
import { t } from '../../../locales';
import { FixedClock, SeededRandom } from '../../support/fixedClock';
import { startRedis, type RedisServer } from '../../support/redisServer';
import { connect, KEY_A, KEY_B, testConfig, user } from '../../contract/securityKit';

const policy: Policy = { ...DEFAULT_POLICY, methods: { ...DEFAULT_POLICY.methods, enabled: [...DEFAULT_POLICY.methods.enabled, 'securityQuestions'] }, securityQuestions: { ...DEFAULT_POLICY.securityQuestions, register: 3, answer: 3 } };
const PHONE = '+31612345678';
const EMAIL = 'jan.jansen@contoso.example';
const ANSWERS = ['Fluffy the Cat', 'Rotterdam Zuid', 'De Regenboog'];
const questionTexts = (id: string) => [t('en', `questions.${id}`), t('nl', `questions.${id}`)];
const check = { questionTexts, userNames: ['Jan Jansen', 'jan.jansen'] };

let server: RedisServer;
let redis: Redis;
let clock: FixedClock;
let a: SecurityAdapters;
const secretsSeen: string[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = await connect(server.port);
  await redis.flushall();
});
afterAll(async () => {
  redis.disconnect();
  await server.destroy();
});
beforeEach(() => {
  clock = new FixedClock();
  a = createRedisSecurityAdapters(redis, testConfig(policy), { clock, audit: new MemoryAuditLog(clock) });
});

function decodeQr(dataUri: string): string {
  const png = PNG.sync.read(Buffer.from(dataUri.replace(/^data:image\/png;base64,/, ''), 'base64'));
  const r = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!r) throw new Error('QR did not decode');
  return r.data;
}

test('R12: the enrolment QR decodes to an otpauth://totp/ URI whose secret activates the method', async () => {
  const u = user('totp-user');
  const e = await a.totp.startEnrolment(u, 'app1', 'jan@contoso.example', 'c1');
  const uri = decodeQr(e.qrDataUri);
  expect(uri).toBe(e.otpauthUri);
  expect(uri.startsWith('otpauth://totp/')).toBe(true);
  const secret = new URL(uri).searchParams.get('secret')!;
  secretsSeen.push(secret);
  expect(e.keyText.replace(/ /g, '')).toBe(secret);
  expect((await a.methods.list(u))[0]).toMatchObject({ kind: 'authenticatorApp', confirmedAt: null });
  const engine = new OtplibTotpEngine();
  expect(await a.totp.verify(u, 'app1', '000000' === engine.generate(secret, clock.now()) ? '111111' : '000000', 'c2')).toMatchObject({ ok: false });
  expect(await a.totp.verify(u, 'app1', engine.generate(secret, clock.now()), 'c3')).toEqual({ ok: true, value: { activated: true } });
  expect((await a.methods.list(u))[0]!.confirmedAt).toBe(clock.now());
});

test('R12: a time step is accepted once per user; ±1 step window; replay refused', async () => {
  const u = user('totp-2');
  const e = await a.totp.startEnrolment(u, 'app1', 'x@contoso.example', 'c');
  const secret = new URL(e.otpauthUri).searchParams.get('secret')!;
  secretsSeen.push(secret);
  const engine = new OtplibTotpEngine();
  const tok = engine.generate(secret, clock.now());
  expect((await a.totp.verify(u, 'app1', tok, 'c')).ok).toBe(true);
  expect(await a.totp.verify(u, 'app1', tok, 'c')).toMatchObject({ ok: false, reason: 'replayed' });
  clock.advance(30_000); // previous step is still inside the window but was used
  expect(await a.totp.verify(u, 'app1', tok, 'c')).toMatchObject({ ok: false, reason: 'replayed' });
  expect((await a.totp.verify(u, 'app1', engine.generate(secret, clock.now()), 'c')).ok).toBe(true);
  clock.advance(120_000);
  expect(await a.totp.verify(u, 'app1', tok, 'c')).toMatchObject({ ok: false, reason: 'invalid' });
  expect(await redis.ttl(`sspr:{u:tenant-1:totp-2}:totp-step:${Math.floor(clock.now() / 30000) - 4}`)).toBeGreaterThanOrEqual(90);
});

test('R12 attack: one authenticator code submitted 20 times at once from two instances is accepted exactly once', async () => {
  const u = user('totp-race');
  const e = await a.totp.startEnrolment(u, 'app1', 'x@contoso.example', 'c');
  const secret = new URL(e.otpauthUri).searchParams.get('secret')!;
  secretsSeen.push(secret);
  const engine = new OtplibTotpEngine();
  expect((await a.totp.verify(u, 'app1', engine.generate(secret, clock.now()), 'c')).ok).toBe(true);
  clock.advance(30_000);
  const other = await connect(server.port);
  try {
    const b = createRedisSecurityAdapters(other, testConfig(policy), { clock, audit: new MemoryAuditLog(clock) });
    const tok = engine.generate(secret, clock.now());
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? b : a).totp.verify(u, 'app1', tok, `race-${i}`)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'replayed')).toBe(true);
  } finally {
    other.disconnect();
  }
});

test('R13: register 3 answers (argon2id m=19456,t=2,p=1), check normalised answers, refuse a wrong set', async () => {
  const u = user('q-user');
  const qs = ['firstPet', 'birthCity', 'firstSchool'];
  const r = await a.questions.register(u, 'q1', qs.map((q, i) => ({ questionId: q, answer: ANSWERS[i]! })), check, 'c');
  expect(r).toEqual({ ok: true, value: undefined });
  secretsSeen.push(...ANSWERS, ...ANSWERS.map(normaliseAnswer));
  const stored = await a.methods.get(u, 'q1');
  expect(Object.values(stored!.secrets.answerHashes!)[0]).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  const drawn = drawQuestions(stored!.method.questionIds!, 3, new SeededRandom(3));
  const answerFor = (q: string) => ANSWERS[qs.indexOf(q)]!;
  expect((await a.questions.check(u, 'q1', drawn.map((q) => ({ questionId: q, answer: `  ${answerFor(q).toUpperCase()} ` })), 'c')).ok).toBe(true);
  const wrong = drawn.map((q, i) => ({ questionId: q, answer: i === 0 ? 'nope nope' : answerFor(q) }));
  expect(await a.questions.check(u, 'q1', wrong, 'c')).toMatchObject({ ok: false, reason: 'wrong' });
});

test('R13: validation refuses duplicates, short/long answers, the question text and the user name', async () => {
  const u = user('q-bad');
  const reg = (answers: string[], ids = ['firstPet', 'birthCity', 'firstSchool']) =>
    a.questions.register(u, 'q', ids.map((q, i) => ({ questionId: q, answer: answers[i]! })), check, 'c');
  expect(await reg(['abc def', 'ABC   def', 'zzz'])).toMatchObject({ reason: 'duplicate_answer', problemIndex: 1 });
  expect(await reg(['ab', 'xyz', 'zzz'])).toMatchObject({ reason: 'answer_too_short' });
  expect(await reg(['a'.repeat(41), 'xyz', 'zzz'])).toMatchObject({ reason: 'answer_too_long' });
  expect(await reg(['x'.repeat(10_000), 'xyz', 'zzz'])).toMatchObject({ reason: 'answer_too_long' });
  expect(await reg(['my jan jansen', 'xyz', 'zzz'])).toMatchObject({ reason: 'answer_contains_name' });
  expect(await reg([`${t('en', 'questions.firstPet')} rex`, 'xyz', 'zzz'])).toMatchObject({ reason: 'answer_contains_question' });
  expect(await reg(['aaa', 'bbb', 'ccc'], ['firstPet', 'firstPet', 'firstSchool'])).toMatchObject({ reason: 'duplicate_question' });
  expect(await reg(['aaa', 'bbb'], ['firstPet', 'birthCity'])).toMatchObject({ reason: 'wrong_count' });
  expect(await reg(['aaa', 'bbb', 'ccc'], ['firstPet', 'nope', 'firstSchool'])).toMatchObject({ reason: 'unknown_question' });
  expect(await a.methods.get(u, 'q')).toBeNull();
  // NFKC + case fold: full-width letters equal ASCII ones.
  expect(normaliseAnswer('  ＦＬＵＦＦＹ   Cat ')).toBe('fluffy cat');
});

test('R13: drawQuestions draws distinct registered ids with the injected random source', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const d = drawQuestions(ids, 3, new SeededRandom(1));
  expect(new Set(d).size).toBe(3);
  expect(d.every((x) => ids.includes(x))).toBe(true);
  expect(drawQuestions(ids, 3, new SeededRandom(1))).toEqual(d);
});

test('R13: concurrent argon2 hashing is bounded by the semaphore', async () => {
  const h = new Argon2AnswerHasher(2);
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, h.running)), 1);
  await Promise.all(Array.from({ length: 6 }, (_, i) => h.hash(`answer ${i}`)));
  clearInterval(timer);
  expect(peak).toBeLessThanOrEqual(2);
  expect(peak).toBeGreaterThan(0);
});

test('recovery codes: ≥ 64 bits, stored as HMACs, single use, rotation-safe', async () => {
  const u = user('rc-user');
  const codes = generateRecoveryCodes(a.random);
  expect(codes).toHaveLength(10);
  for (const c of codes) expect(c).toMatch(/^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/); // 16 × 5 bits = 80 bits
  secretsSeen.push(...codes, ...codes.map((c) => c.replace(/-/g, '')));
  await a.recoveryCodes.replace(u, codes);
  const rotated = createRedisSecurityAdapters(redis, { ...testConfig(policy), keys: { codeHmac: [KEY_B, KEY_A], fieldEncryption: [KEY_A] } }, { clock, audit: new MemoryAuditLog(clock) });
  expect(await rotated.recoveryCodes.consume(u, codes[0]!.toLowerCase().replace(/-/g, ' '))).toBe(true);
  expect(await a.recoveryCodes.consume(u, codes[0]!)).toBe(false);
  expect(await a.recoveryCodes.remaining(u)).toBe(9);
});

test('phone and e-mail methods: encrypted at rest, readable after key rotation, timestamps patched in place', async () => {
  const u = user('dest-user');
  await a.methods.save(u, { method: { id: 'p1', kind: 'mobilePhone', maskedDestination: '•••••••••78', confirmedAt: null, lastUsedAt: null, createdAt: clock.now(), source: 'user', channels: ['sms', 'voice'] }, secrets: { destination: PHONE } });
  await a.methods.save(u, { method: { id: 'e1', kind: 'email', maskedDestination: 'j•••@contoso.example', confirmedAt: null, lastUsedAt: null, createdAt: clock.now() + 1, source: 'user', channels: ['email'] }, secrets: { destination: EMAIL } });
  secretsSeen.push(PHONE, EMAIL, '0612345678', '612345678');
  expect(await a.methods.markConfirmed(u, 'p1', clock.now())).toBe(true);
  const rotated = createRedisSecurityAdapters(redis, { ...testConfig(policy), keys: { codeHmac: [KEY_A], fieldEncryption: [KEY_B, KEY_A] } }, { clock, audit: new MemoryAuditLog(clock) });
  expect((await rotated.methods.get(u, 'p1'))!.secrets.destination).toBe(PHONE);
  expect((await a.methods.list(u)).map((m) => [m.id, m.confirmedAt])).toEqual([['p1', clock.now()], ['e1', null]]);
  expect(await a.methods.remove(u, 'e1')).toBe(true);
  expect(await a.methods.markConfirmed(u, 'e1', clock.now())).toBe(false);
  expect(await a.methods.list(u)).toHaveLength(1);
});

test('R15/R20: a scan of every Redis value after the registration tests finds no phone, address, code, answer or TOTP secret', async () => {
  // Send real codes so code records exist too.
  const u = user('dest-user');
  await a.oneTimeCodes.issue({ user: u, purpose: 'register', methodId: 'p1', channel: 'sms', destination: PHONE, locale: 'nl', correlationId: 'c' });
  await a.oneTimeCodes.issue({ user: u, purpose: 'register', methodId: 'e1', channel: 'email', destination: EMAIL, locale: 'en', correlationId: 'c' });
  secretsSeen.push(...a.outbox!.list().map((e) => e.code!));
  expect(secretsSeen.length).toBeGreaterThan(20);
  let dump = '';
  for (const k of await redis.keys('*')) {
    dump += `${k}\n`;
    const type = await redis.type(k);
    if (type === 'string') dump += `${await redis.get(k)}\n`;
    else if (type === 'hash') dump += `${JSON.stringify(await redis.hgetall(k))}\n`;
    else if (type === 'set') dump += `${(await redis.smembers(k)).join(',')}\n`;
    dump += `${(await redis.dumpBuffer(k))?.toString("latin1") ?? ""}\n`;
  }
  expect(dump).toContain('methods');
  const lower = dump.toLowerCase();
  for (const s of secretsSeen) expect(lower).not.toContain(s.toLowerCase());
});
