import type Redis from 'ioredis';
import { withDeadline } from '../../../domain/recovery/withDeadline';
import { confirmed } from '../../support/recoveryFakes';
import { recoveryRig, type RecoveryRig } from '../../support/recoveryHarness';
import { FakeDirectory } from '../../support/fakeDirectory';
import { FixedClock } from '../../support/fixedClock';
import { startRedis, type RedisServer } from '../../support/redisServer';
import { beginWithCode, proveCode, ready, verifyFully } from './steps';

const methods = [confirmed('sms', 'mobilePhone', { phoneKey: 'p1' }), confirmed('mail', 'email')];
let server: RedisServer;
const clients: Redis[] = [];
let n = 0;

beforeAll(async () => {
  // AOF so a graceful stop/start keeps the data (F2: the same code works after recovery).
  server = await startRedis({ appendonly: true });
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server.destroy();
});

async function rigs(count = 1): Promise<{ rs: RecoveryRig[]; user: { tenantId: string; objectId: string }; directory: FakeDirectory }> {
  const clock = new FixedClock();
  const directory = new FakeDirectory(clock);
  const user = { tenantId: 't1', objectId: `fault-${++n}` };
  directory.add(user);
  const rs: RecoveryRig[] = [];
  for (let i = 0; i < count; i++) {
    const c = server.client();
    c.on('error', () => undefined);
    clients.push(c);
    await ready(c);
    const r = recoveryRig({ redis: c, clock, directory, seed: n * 100 + i });
    r.methods.set(user, methods);
    rs.push(r);
  }
  return { rs, user, directory };
}

const resetReq = (user: { tenantId: string; objectId: string }, flowId: string, pw = 'Brand-New-Pass-42') => ({
  user,
  conversationId: 'conv-A',
  flowId,
  newPassword: pw,
  correlationId: 'corr-reset',
});

async function waitReady(c: Redis): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await c.ping()) === 'PONG') return;
    } catch {
      /* reconnecting */
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('redis client did not reconnect');
}

describe('reset and unlock against faults', () => {
  test('R27: 20 concurrent resets with one grant from two processes make exactly one directory write', async () => {
    const { rs, user, directory } = await rigs(2);
    const flowId = await verifyFully(rs[0]!, user, 'conv-A');
    directory.faults.delayMs = 40;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => rs[i % 2]!.reset.execute(resetReq(user, flowId, `Brand-New-Pass-${i}`))));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.reason)).every((x) => x === 'in_progress' || x === 'consumed')).toBe(true);
    expect(directory.writes).toHaveLength(1);
    expect(await rs[1]!.deps.grants.state(user, flowId)).toBe('consumed');
  });

  test('F12 R27: the directory times out after applying the change; the outcome is read back, no retry', async () => {
    const { rs, user, directory } = await rigs();
    const rig = rs[0]!;
    const flowId = await verifyFully(rig, user, 'conv-A');
    directory.faults.timeoutAfterApply = true;
    rig.clock.advance(1000);
    const r = await rig.reset.execute(resetReq(user, flowId));
    expect(r.ok).toBe(true);
    expect(directory.writes).toHaveLength(1);
    expect(directory.passwordOf(user)).toBe('Brand-New-Pass-42');
    expect(await rig.reset.execute(resetReq(user, flowId, 'Another-Pass-99'))).toEqual({ ok: false, reason: 'consumed' });
    expect(directory.writes).toHaveLength(1);
    expect(rig.notifications.sent.map((x) => x.event)).toEqual(['password_reset']);
  });

  test('F12: timeout without a change spends the grant; timeout with no read-back stays pending', async () => {
    const { rs, user, directory } = await rigs();
    const rig = rs[0]!;
    const f1 = await verifyFully(rig, user, 'conv-A');
    directory.faults.timeoutBeforeApply = true;
    expect(await rig.reset.execute(resetReq(user, f1))).toEqual({ ok: false, reason: 'not_applied' });
    expect(await rig.reset.execute(resetReq(user, f1))).toEqual({ ok: false, reason: 'consumed' });
    expect(directory.passwordOf(user)).toBe('Initial-Password-1');
    directory.faults.timeoutBeforeApply = false;
    directory.faults.timeoutAfterApply = true;
    directory.faults.readBackFails = true;
    const f2 = await verifyFully(rig, user, 'conv-A');
    expect(await rig.reset.execute(resetReq(user, f2))).toEqual({ ok: false, reason: 'pending' });
    expect(await rig.reset.execute(resetReq(user, f2))).toEqual({ ok: false, reason: 'in_progress' });
    expect(directory.writes).toHaveLength(1);
  });

  test('F13: a refused password keeps the grant usable and adds no R9 count', async () => {
    const { rs, user, directory } = await rigs();
    const rig = rs[0]!;
    const redis = clients[clients.length - 1]!;
    const flowId = await verifyFully(rig, user, 'conv-A');
    directory.faults.refuse = 'history';
    expect(await rig.reset.execute(resetReq(user, flowId, 'Old-Password-1'))).toEqual({ ok: false, reason: 'password_history' });
    expect(await rig.deps.grants.state(user, flowId)).toBe('ready');
    expect(await redis.zcard(`test:{u:${user.tenantId}:${user.objectId}}:vfail`)).toBe(0);
    expect(await rig.deps.block.blockedUntil(user)).toBeNull();
    directory.faults.refuse = undefined;
    expect((await rig.reset.execute(resetReq(user, flowId))).ok).toBe(true);
    expect(directory.passwordOf(user)).toBe('Brand-New-Pass-42');
    expect(rig.audit.types()).toContain('recovery.password_reset:refused:directory_history');
  });

  test('R28: unlock clears the lockout and never touches the password', async () => {
    const { rs, user, directory } = await rigs();
    const rig = rs[0]!;
    directory.add(user, { locked: true });
    const before = directory.record(user)!.passwordChangedAt;
    const flowId = await verifyFully(rig, user, 'conv-A', 'unlock');
    expect(await rig.reset.execute(resetReq(user, flowId))).toEqual({ ok: false, reason: 'no_grant' });
    expect(await rig.unlock.execute({ user, conversationId: 'conv-A', flowId, correlationId: 'u' })).toEqual({ ok: true, value: { unlocked: true } });
    expect(directory.record(user)!.locked).toBe(false);
    expect(directory.passwordOf(user)).toBe('Initial-Password-1');
    expect(directory.record(user)!.passwordChangedAt).toBe(before);
    expect(directory.writes.map((w) => w.op)).toEqual(['unlock']);
    expect(rig.notifications.sent.map((x) => x.event)).toEqual(['account_unlocked']);
    expect(await rig.unlock.execute({ user, conversationId: 'conv-A', flowId, correlationId: 'u' })).toEqual({ ok: false, reason: 'consumed' });
  });

  test('R26: a directory slower than 2 s is handed back as pending and completes in the background', async () => {
    const { rs, user, directory } = await rigs();
    const rig = rs[0]!;
    const flowId = await verifyFully(rig, user, 'conv-A');
    directory.faults.delayMs = 2300;
    const out = await withDeadline(rig.reset.execute(resetReq(user, flowId)));
    expect(out.done).toBe(false);
    if (out.done) throw new Error('unreachable');
    expect((await out.pending).ok).toBe(true);
    expect(directory.writes).toHaveLength(1);
  });

  test('F2: Redis stops after a code was sent — the proof fails closed; after recovery the same code works', async () => {
    const { rs, user } = await rigs();
    const rig = rs[0]!;
    const redis = clients[clients.length - 1]!;
    const flowId = await beginWithCode(rig, user, 'conv-A');
    await server.stop();
    await expect(proveCode(rig, user, 'conv-A', flowId, 'sms')).rejects.toMatchObject({ code: 'state_unavailable' });
    await server.start();
    await waitReady(redis);
    const r = await proveCode(rig, user, 'conv-A', flowId, 'sms');
    expect(r).toEqual({ ok: true, value: { status: 'next_method', choices: [{ id: 'mail', kind: 'email', maskedDestination: 'a…@contoso.example' }] } });
  });

  test('F3: Redis down between verification and reset — no directory write; after recovery the grant is consumed once', async () => {
    const { rs, user, directory } = await rigs();
    const rig = rs[0]!;
    const redis = clients[clients.length - 1]!;
    const flowId = await verifyFully(rig, user, 'conv-A');
    await server.stop();
    await expect(rig.reset.execute(resetReq(user, flowId))).rejects.toMatchObject({ code: 'state_unavailable' });
    expect(directory.writes).toHaveLength(0);
    await server.start();
    await waitReady(redis);
    expect((await rig.reset.execute(resetReq(user, flowId))).ok).toBe(true);
    expect(await rig.reset.execute(resetReq(user, flowId))).toEqual({ ok: false, reason: 'consumed' });
    expect(directory.writes).toHaveLength(1);
  });
});
