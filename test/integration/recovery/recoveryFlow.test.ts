import type Redis from 'ioredis';
import { confirmed } from '../../support/recoveryFakes';
import { recoveryRig, type RecoveryRig } from '../../support/recoveryHarness';
import { FakeDirectory } from '../../support/fakeDirectory';
import { FixedClock } from '../../support/fixedClock';
import { startRedis, type RedisServer } from '../../support/redisServer';
import { beginWithCode, proveCode, ready, verifyFully, wrongCode } from './steps';

const HOUR = 3_600_000;
const methods = [confirmed('sms', 'mobilePhone', { phoneKey: 'p1' }), confirmed('mail', 'email')];
let server: RedisServer;
const clients: Redis[] = [];
let n = 0;

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server.destroy();
});

/** Two rigs on two Redis connections = two bot processes sharing one Redis, one directory and one clock. */
async function twoProcesses(): Promise<{ a: RecoveryRig; b: RecoveryRig; user: { tenantId: string; objectId: string } }> {
  const clock = new FixedClock();
  const directory = new FakeDirectory(clock);
  const c1 = server.client();
  const c2 = server.client();
  clients.push(c1, c2);
  await Promise.all([ready(c1), ready(c2)]);
  const a = recoveryRig({ redis: c1, clock, directory, seed: ++n * 10 });
  const b = recoveryRig({ redis: c2, clock, directory, seed: ++n * 10 });
  const user = { tenantId: 't1', objectId: `user-${n}` };
  directory.add(user);
  a.methods.set(user, methods);
  b.methods.set(user, methods);
  return { a, b, user };
}

describe('verification and grants on real Redis', () => {
  test('R9: 5 failures across two conversations and two processes block for 24 h from the last failure; a new code does not reset the count', async () => {
    const { a, b, user } = await twoProcesses();
    const fa = await beginWithCode(a, user, 'conv-A');
    const fb = await beginWithCode(b, user, 'conv-B', 'mail');
    expect(await wrongCode(a, user, 'conv-A', fa)).toEqual({ ok: false, reason: 'wrong' });
    a.clock.advance(120_000); // flows live 15 min, so the failures are minutes apart
    expect(await wrongCode(b, user, 'conv-B', fb)).toEqual({ ok: false, reason: 'wrong' });
    // asking for a new code does not reset anything
    const again = await a.challenge.execute({ user, conversationId: 'conv-A', flowId: fa, methodId: 'sms', locale: 'en', correlationId: 'x' });
    expect(again.ok).toBe(true);
    expect(await wrongCode(a, user, 'conv-A', fa)).toEqual({ ok: false, reason: 'wrong' });
    expect(await wrongCode(b, user, 'conv-B', fb)).toEqual({ ok: false, reason: 'wrong' });
    a.clock.advance(120_000);
    const last = a.clock.now();
    const fifth = await wrongCode(a, user, 'conv-A', fa);
    expect(fifth).toEqual({ ok: false, reason: 'blocked', retryAt: last + 24 * HOUR });
    // the other process and conversation sees the block, even with the right code
    expect(await proveCode(b, user, 'conv-B', fb, 'mail')).toEqual({ ok: false, reason: 'blocked', retryAt: last + 24 * HOUR });
    expect(await b.deps.block.blockedUntil(user)).toBe(last + 24 * HOUR);
    expect((await b.start.execute({ user, conversationId: 'conv-C', goal: 'reset', correlationId: 'x' })).ok).toBe(false);
    a.clock.set(last + 24 * HOUR - 1);
    expect(await a.deps.block.blockedUntil(user)).toBe(last + 24 * HOUR);
    a.clock.set(last + 24 * HOUR);
    expect(await a.deps.block.blockedUntil(user)).toBeNull();
    expect(a.audit.types()).toContain('verification.blocked:info:too_many_failures');
  });

  test('R9: failures older than 24 h no longer count; a successful reset clears the count', async () => {
    const { a, user } = await twoProcesses();
    const f1 = await beginWithCode(a, user, 'conv-A');
    for (let i = 0; i < 4; i++) await wrongCode(a, user, 'conv-A', f1);
    a.clock.advance(24 * HOUR + 1);
    const f2 = await beginWithCode(a, user, 'conv-A');
    expect(await wrongCode(a, user, 'conv-A', f2)).toEqual({ ok: false, reason: 'wrong' });
    for (let i = 0; i < 3; i++) await wrongCode(a, user, 'conv-A', f2);
    // 4 failures in the window now; verify and reset
    const f3 = await verifyFully(a, user, 'conv-A');
    expect((await a.reset.execute({ user, conversationId: 'conv-A', flowId: f3, newPassword: 'Fresh-Pass-7781', correlationId: 'r' })).ok).toBe(true);
    const after = await a.deps.block.recordFailure(user);
    expect(after).toEqual({ failures: 1, blockedUntil: null });
  });

  test('R16: the grant is valid 10 minutes after verification, single use, and bound to the conversation', async () => {
    const { a, b, user } = await twoProcesses();
    a.clock.advance(60_000);
    const flowId = await verifyFully(a, user, 'conv-A');
    const grant = await a.deps.grants.issue({ user, conversationId: 'conv-A', flowId, goal: 'reset', flowStartedAt: 0 });
    expect(grant.expiresAt).toBe(a.clock.now() + 600_000); // idempotent: the first grant comes back
    const req = (conv: string) => ({ user, conversationId: conv, flowId, newPassword: 'Fresh-Pass-1234', correlationId: 'r' });
    expect(await b.reset.execute(req('conv-B'))).toEqual({ ok: false, reason: 'wrong_conversation' });
    const other = { tenantId: 't1', objectId: 'mallory' };
    a.directory.add(other);
    expect(await a.reset.execute({ ...req('conv-A'), user: other })).toEqual({ ok: false, reason: 'no_grant' });
    expect(await a.unlock.execute({ user, conversationId: 'conv-A', flowId, correlationId: 'u' })).toEqual({ ok: false, reason: 'no_grant' });
    a.clock.advance(600_000 - 1);
    expect((await b.reset.execute(req('conv-A'))).ok).toBe(true);
    expect(await a.reset.execute(req('conv-A'))).toEqual({ ok: false, reason: 'consumed' });
    expect(a.directory.writes).toHaveLength(1);
  });

  test('R16: an unused grant expires at 10 minutes, and never later than 15 minutes after the flow began', async () => {
    const { a, user } = await twoProcesses();
    const f1 = await verifyFully(a, user, 'conv-A');
    a.clock.advance(600_000);
    expect(await a.reset.execute({ user, conversationId: 'conv-A', flowId: f1, newPassword: 'Fresh-Pass-1234', correlationId: 'r' })).toEqual({ ok: false, reason: 'expired' });
    const started = a.clock.now();
    const f2 = await beginWithCode(a, user, 'conv-A');
    a.clock.advance(8 * 60_000);
    expect((await proveCode(a, user, 'conv-A', f2, 'sms')).ok).toBe(true);
    await a.challenge.execute({ user, conversationId: 'conv-A', flowId: f2, methodId: 'mail', locale: 'en', correlationId: 'c' });
    const v = await proveCode(a, user, 'conv-A', f2, 'mail');
    expect(v).toEqual({ ok: true, value: { status: 'verified', grantExpiresAt: started + 900_000 } });
    a.clock.set(started + 900_000);
    expect(await a.reset.execute({ user, conversationId: 'conv-A', flowId: f2, newPassword: 'Fresh-Pass-1234', correlationId: 'r' })).toEqual({ ok: false, reason: 'expired' });
    expect(a.directory.writes).toHaveLength(0);
  });

  test('R16: a flow past 15 minutes accepts no proof', async () => {
    const { a, user } = await twoProcesses();
    const f = await beginWithCode(a, user, 'conv-A');
    a.clock.advance(900_000);
    expect(await proveCode(a, user, 'conv-A', f, 'sms')).toEqual({ ok: false, reason: 'expired' });
    expect((await a.deps.flows.get(user, f))?.state).toEqual({ name: 'expired' });
  });

  test('R2: a flow id is only found under its own user and conversation', async () => {
    const { a, user } = await twoProcesses();
    const f = await beginWithCode(a, user, 'conv-A');
    const mallory = { tenantId: 't1', objectId: 'mallory' };
    a.methods.set(mallory, methods);
    const asOther = await a.proof.execute({ user: mallory, conversationId: 'conv-A', flowId: f, response: { kind: 'code', code: a.prover.lastCode('sms') }, locale: 'en', correlationId: 'x' });
    expect(asOther).toEqual({ ok: false, reason: 'no_flow' });
    expect(await a.challenge.execute({ user, conversationId: 'conv-X', flowId: f, methodId: 'mail', locale: 'en', correlationId: 'x' })).toEqual({ ok: false, reason: 'no_flow' });
  });

  test('R18 R20: a reset notifies the user and audits every step without secrets', async () => {
    const { a, user } = await twoProcesses();
    const f = await verifyFully(a, user, 'conv-A');
    const password = 'Unique-Secret-Passw0rd-991';
    await a.reset.execute({ user, conversationId: 'conv-A', flowId: f, newPassword: password, correlationId: 'corr-R18' });
    expect(a.notifications.sent).toEqual([{ user, event: 'password_reset', correlationId: 'corr-R18' }]);
    expect(a.audit.types()).toEqual([
      'recovery.reset.start:success',
      'verification.challenge:success',
      'verification.proof:success',
      'verification.challenge:success',
      'verification.proof:success',
      'verification.verified:success',
      'recovery.password_reset:success',
    ]);
    const dump: string[] = [];
    const r = clients[clients.length - 2]!;
    for (const key of await r.keys('*')) {
      const type = await r.type(key);
      if (type === 'string') dump.push(String(await r.get(key)));
      if (type === 'hash') dump.push(JSON.stringify(await r.hgetall(key)));
      if (type === 'zset') dump.push(JSON.stringify(await r.zrange(key, '0', '-1')));
    }
    const text = JSON.stringify(a.audit.events) + dump.join('\n');
    expect(text).not.toContain(password);
    for (const s of a.prover.sent) expect(JSON.stringify(a.audit.events)).not.toContain(s.code);
  });
});
