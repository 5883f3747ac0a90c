import Redis from 'ioredis';
import { RedisKeys } from '../../adapters/redis/redisKeys';
import { RedisSendThrottle } from '../../adapters/redis/redisSendThrottle';
import { createRedis } from '../../bot/redisClient';
import { startApp, type RunningApp } from '../support/appHarness';
import { post, teamsActivity, type Reply } from '../support/activities';
import { action } from '../support/chatDriver';
import { startRedis, type RedisServer } from '../support/redisServer';
import { MemoryAuditLog } from '../../adapters/audit/jsonAuditLog';
import { CryptoRandom } from '../../adapters/crypto/cryptoRandom';
import { createRedisSecurityAdapters } from '../../adapters/securityInfoAdapters';
import { RedisInsightsStore } from '../../adapters/redis/redisInsightsStore';
import { WriteRider } from '../../adapters/redis/writeRider';
import { InsightsRecorder } from '../../domain/insights/insightsRecorder';
import { RedisStorage } from '../../bot/redisStorage';
import { RedisFlowStore } from '../../adapters/redis/redisFlowStore';
import { RedisVerificationStore } from '../../adapters/redis/redisVerificationStore';
import { HmacKeyRing } from '../../adapters/crypto/keyRing';
import type { FlowRecord, FlowState } from '../../domain/verification/stateMachine';
import { FixedClock } from '../support/fixedClock';
import { testConfig } from '../contract/securityKit';
import { recoveryRig } from '../support/recoveryHarness';
import { confirmed } from '../support/recoveryFakes';
import { verifyFully } from '../integration/recovery/steps';

/** Issue 15 item 2: round trips of a turn, counted as socket writes of the app's client (one write per request). */
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

/** The data of the last card action with this verb (and matching `pred`) among a turn's replies; throws when none. */
function dataOf(replies: Reply[], verb: string, pred: (d: any) => boolean = () => true): any {
  return action({ posts: replies, puts: [], text: '' }, verb, pred);
}

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server.destroy();
});

test('issue 15: the send throttle checks and consumes all buckets of one slot in ONE round trip, and still refuses when one is full', async () => {
  const redis = createRedis(server.url);
  await ready(redis);
  const writes = countWrites(redis);
  const user = { tenantId: 't', objectId: 'o' };
  const throttle = new RedisSendThrottle(redis, new RedisKeys('rt:'), (s) => s);
  const buckets = [
    { name: 'send-gap', user, subject: 'email', limit: 1, windowSeconds: 60 },
    { name: 'send-hour', user, subject: 'email', limit: 5, windowSeconds: 3600 },
  ];
  // The first use loads the script (EVALSHA → NOSCRIPT → EVAL, F19); measure from the second.
  await throttle.take([{ name: 'warm', user, subject: 'x', limit: 1, windowSeconds: 60 }]);
  const before = writes();
  expect(await throttle.take(buckets)).toEqual({ ok: true });
  expect(writes() - before).toBe(1);
  const refused = await throttle.take(buckets);
  expect(refused.ok).toBe(false);
  // Nothing consumed by the refusal: the hourly bucket still holds one point.
  expect(await redis.get('rt:rl:send-hour:{u:t:o}:email')).toBe('1');
  expect(Number(await redis.pttl('rt:rl:send-gap:{u:t:o}:email'))).toBeGreaterThan(50_000);
  redis.disconnect();
});

describe('issue 15 / R25: the lock release rides with the turn’s last state write', () => {
  let running: RunningApp;
  let monitor: Redis;
  beforeAll(async () => {
    running = await startApp({ REDIS_URL: server.url });
  });
  afterAll(async () => {
    await running.close();
  });

  test('issue 15: a turn that writes state costs 2 round trips (lock + prefetch; state write + release), the write sent before the release', async () => {
    const redis = running.app.redis!;
    await ready(redis);
    const conversationId = 'a:rt-conv';
    const act = (o: Parameters<typeof teamsActivity>[0]): Record<string, unknown> =>
      teamsActivity({ conversationId, ...o });
    await post(running.baseUrl, act({ text: 'help' }));
    // Opens the security-info journey: its first card, the dialog stack saved.
    await post(running.baseUrl, act({ value: { verb: 'menu', choice: 'securityInfo' } }));
    const writes = countWrites(redis);
    const lines: string[] = [];
    monitor = await new Redis(server.port, '127.0.0.1', { lazyConnect: true }).monitor();
    monitor.on('monitor', (_t: string, args: string[]) => lines.push(args.join(' ')));
    await new Promise((r) => setTimeout(r, 50));
    const before = writes();
    const res = await post(running.baseUrl, act({ text: 'cancel' }));
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    const turnWrites = writes() - before;
    monitor.disconnect();
    const stateWrite = lines.findIndex(
      (l) => l.startsWith('eval') && l.includes(' 1 sspr:state:msteams/conversations/a:rt-conv/ '),
    );
    const lockCommands = lines
      .map((l, i) => (/^evalsha \S+ \d+ sspr:lock:\{c:a:rt-conv\}/.test(l) ? i : -1))
      .filter((i) => i >= 0);
    expect(stateWrite).toBeGreaterThan(-1);
    expect(lockCommands.length).toBe(2); // acquire, release
    expect(lockCommands[1]).toBeGreaterThan(stateWrite);
    expect(turnWrites).toBe(2);
  });

  test('issue 15: the pages API password submit takes its three limits (address, user, writes) and reads the flow with the chat reference in one round trip', async () => {
    const redis = running.app.redis!;
    await ready(redis);
    const submit = (): Promise<Response> =>
      fetch(`${running.baseUrl}/api/flows/${'0'.repeat(32)}/password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-dev-user': '00000000-0000-0000-0000-000000000001:6e7b768e-07e2-4810-8459-485f84f8f204' },
        body: JSON.stringify({ password: 'Unused-Harbour-Maple-7', confirmation: 'Unused-Harbour-Maple-7' }),
      });
    expect((await submit()).status).toBe(404); // loads the limiter scripts (F19)
    const writes = countWrites(redis);
    const before = writes();
    expect((await submit()).status).toBe(404); // an unknown flow: limits with flow + reference, nothing else
    expect(writes() - before).toBe(1);
  });
});

describe('issue 15 / R31: security info reads the user’s record once per turn (adapters/redis/userRecordMemo.ts)', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp({ REDIS_URL: server.url });
  });
  afterAll(async () => {
    await running.close();
  });

  /** The demo directory's Megan: a mobile number the organisation holds (pre-filled, R31), no methods yet. */
  const objectId = '6e7b768e-07e2-4810-8459-485f84f8f204';
  const conversationId = `a:rt-si-${objectId}`;
  const submit = (value: unknown): Record<string, unknown> =>
    teamsActivity({ conversationId, userObjectId: objectId, value });

  /** Posts one activity and returns its replies, the app client's socket writes (round trips) and the MONITOR lines. */
  async function measured(
    activity: Record<string, unknown>,
  ): Promise<{ replies: Reply[]; roundTrips: number; commands: string[] }> {
    const redis = running.app.redis!;
    await ready(redis);
    const writes = countWrites(redis);
    const commands: string[] = [];
    const monitor = await new Redis(server.port, '127.0.0.1', { lazyConnect: true }).monitor();
    monitor.on('monitor', (_t: string, args: string[]) => commands.push(args.join(' ')));
    await new Promise((r) => setTimeout(r, 50));
    const before = writes();
    const res = await post(running.baseUrl, activity);
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    const roundTrips = writes() - before;
    monitor.disconnect();
    return { replies: res.replies, roundTrips, commands };
  }

  test('issue 15: si: start (with the R31 pre-fill write) ≤ 4 round trips, si: add 2 (the record read with the lock), choose authenticator (bootstrap asked) ≤ 4, back 2 — and the pre-filled contact is on the first overview', async () => {
    // Warm-up with another directory user: the first use of a script costs one more round trip (NOSCRIPT → EVAL, F19).
    const warm = 'c2a7bbd1-3b5e-4c1e-9a8f-0d7c1f3e5a21';
    await post(
      running.baseUrl,
      teamsActivity({
        conversationId: `a:rt-si-${warm}`,
        userObjectId: warm,
        value: { verb: 'menu', choice: 'securityInfo' },
      }),
    );
    await post(running.baseUrl, teamsActivity({ conversationId, userObjectId: objectId, text: 'hi' }));
    const start = await measured(submit({ verb: 'menu', choice: 'securityInfo' }));
    // The overview read after the pre-fill saved the directory's number: the turn sees its own write.
    expect(JSON.stringify(start.replies)).toContain('From your organisation, not yet confirmed');
    expect(start.commands.some((c) => c.startsWith('evalsha') && c.includes(':methods'))).toBe(true);
    expect(start.roundTrips).toBeLessThanOrEqual(4);
    const flowId = dataOf(start.replies, 'si.add').flowId as string;

    const add = await measured(submit({ verb: 'si.add', flowId }));
    // Lock + conversation state + the caller's record (TurnGuard, one pipeline); state write + release.
    expect(add.roundTrips).toBe(2);
    // One read of the record: the methods hash once, not per use-case (pre-fill flag, overview, hold).
    expect(add.commands.filter((c) => c.startsWith('hgetall')).length).toBe(1);

    const choose = await measured(submit({ verb: 'si.kind', flowId, kind: 'authenticatorApp' }));
    expect(dataOf(choose.replies, 'si.bootstrapWith')).toBeDefined();
    expect(choose.roundTrips).toBeLessThanOrEqual(4);

    const back = await measured(submit({ verb: 'si.back', flowId }));
    expect(back.roundTrips).toBe(2);
  });
});

describe('issue 15 / R33: a code send costs 2 round trips', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = createRedis(server.url);
    await ready(redis);
  });
  afterAll(() => redis.disconnect());

  const adapters = () => {
    const clock = new FixedClock();
    return createRedisSecurityAdapters(redis, testConfig(), {
      clock,
      audit: new MemoryAuditLog(clock),
      random: new CryptoRandom(),
    });
  };
  const send = (
    objectId: string,
    o: { purpose: 'register' | 'verify'; channel: 'sms' | 'email'; destination: string },
  ) => ({
    user: { tenantId: 'rt-t', objectId },
    methodId: 'm1',
    locale: 'en' as const,
    correlationId: 'rt',
    ...o,
  });

  test('issue 15 R33 R30: an SMS registration code — own buckets taken while the shared ones are checked, then the code, the shared points and the hourly count together', async () => {
    const a = adapters();
    const writes = countWrites(redis);
    // The first send loads the scripts (EVALSHA → NOSCRIPT → EVAL, F19); measure a second user's.
    expect(
      (await a.oneTimeCodes.issue(send('warm', { purpose: 'register', channel: 'sms', destination: '+31612340001' })))
        .ok,
    ).toBe(true);
    const before = writes();
    const r = await a.oneTimeCodes.issue(
      send('o1', { purpose: 'register', channel: 'sms', destination: '+31612340002' }),
    );
    expect(r.ok).toBe(true);
    expect(writes() - before).toBe(2);
    // Every bucket got its point: the user's own (pending destinations, gap, hour) and the shared ones.
    const keys = await redis.keys('sspr:rl:*');
    for (const name of [
      'pending-dests:{u:rt-t:o1}',
      'send-gap:{u:rt-t:o1}',
      'send-hour:{u:rt-t:o1}',
      'send-dest-day-reg:',
      'phone-prefix:',
    ])
      expect(keys.some((k) => k.includes(name))).toBe(true);
    expect(a.outbox!.lastCode('+31612340002')).toMatch(/^\d{6}$/);
  });

  test('issue 15 R10: a verification e-mail code costs 2 round trips; a refused resend costs 1 and takes no shared point (R33)', async () => {
    const a = adapters();
    const writes = countWrites(redis);
    await a.oneTimeCodes.issue(
      send('warm2', { purpose: 'verify', channel: 'email', destination: 'warm@contoso.example' }),
    );
    const before = writes();
    expect(
      (
        await a.oneTimeCodes.issue(
          send('o2', { purpose: 'verify', channel: 'email', destination: 'o2@contoso.example' }),
        )
      ).ok,
    ).toBe(true);
    expect(writes() - before).toBe(2);
    const shared = await Promise.all((await redis.keys('sspr:rl:send-dest-day:*')).map((k) => redis.get(k)));
    const again = writes();
    // Within the 60 s gap: refused by the user's own bucket, in the first round trip.
    expect(
      await a.oneTimeCodes.issue(
        send('o2', { purpose: 'verify', channel: 'email', destination: 'o2@contoso.example' }),
      ),
    ).toMatchObject({ ok: false, reason: 'throttled' });
    expect(writes() - again).toBe(1);
    expect(shared.length).toBeGreaterThan(0);
    expect(await Promise.all((await redis.keys('sspr:rl:send-dest-day:*')).map((k) => redis.get(k)))).toEqual(shared);
  });
});

describe('issue 15: background insights writes ride with the turn’s state write', () => {
  test('issue 15: inside a scope that flushes at its end (a turn, a pages request) a waiting writer is not let go after 20 ms — a slow turn still takes it along; outside one it goes after 20 ms', async () => {
    let inScope = true;
    const rider = new WriteRider(20, { inScope: () => inScope });
    let released = 0;
    const waiting = rider.next().then(() => released++);
    await new Promise((r) => setTimeout(r, 120));
    expect(released).toBe(0);
    rider.flush();
    await waiting;
    expect(released).toBe(1);
    inScope = false;
    await rider.next();
    expect(rider.pending).toBe(0);
  });

  test('issue 15: a counter added during a turn leaves in the same socket write as the state write (not one of its own)', async () => {
    const redis = createRedis(server.url);
    await ready(redis);
    const rider = new WriteRider(1_000);
    const storage = new RedisStorage(redis, { prefix: 'rt-ride:state:', rider });
    const insights = new RedisInsightsStore(redis, 'rt-ride:', { rider });
    // Load the scripts first (EVALSHA → NOSCRIPT → EVAL).
    await Promise.all([insights.add(Date.now(), [{ field: 'warm' }]), storage.write({ warm: { n: 1 } })]);
    const writes = countWrites(redis);
    const before = writes();
    const added = insights.add(Date.now(), [{ field: 'sends:email' }]);
    await new Promise((r) => setTimeout(r, 20));
    expect(writes() - before).toBe(0); // waiting for a ride
    await storage.write({ 'msteams/conversations/rt-ride/': { n: 2 } });
    await added;
    expect(writes() - before).toBe(1);
    const day = Math.floor(Date.now() / 86_400_000);
    expect(await redis.hget(`rt-ride:ins:{d${day}}:day`, 'sends:email')).toBe('1');
    redis.disconnect();
  });

  test('issue 15: a reset start’s flow mark and its counter both ride with the state write (reset: start ≤ 4 round trips)', async () => {
    const redis = createRedis(server.url);
    await ready(redis);
    try {
      const rider = new WriteRider(1_000);
      const storage = new RedisStorage(redis, { prefix: 'rt-start:state:', rider });
      const store = new RedisInsightsStore(redis, 'rt-start:', { rider });
      const recorder = new InsightsRecorder({ store, clock: { now: () => Date.now() }, pseudonym: (u) => `p-${u.objectId}` });
      await Promise.all([store.add(Date.now(), [{ field: 'warm' }]), storage.write({ warm: { n: 1 } })]);
      const writes = countWrites(redis);
      const before = writes();
      const recorded = recorder.record({ type: 'recovery.reset.start', correlationId: 'c', user: { tenantId: 't', objectId: 'o' }, outcome: 'success' });
      await new Promise((r) => setTimeout(r, 20));
      expect(writes() - before).toBe(0);
      await storage.write({ 'msteams/conversations/rt-start/': { n: 2 } });
      await recorded;
      // One after the other, the counter missed the ride and went on its own when the rider's wait ran out (2).
      expect(writes() - before).toBe(1);
      const day = Math.floor(Date.now() / 86_400_000);
      expect(await redis.hget(`rt-start:ins:{d${day}}:day`, 'reset.started')).toBe('1');
      expect(await redis.get('rt-start:ins:flow:{p:p-o}')).toMatch(/^reset:/);
    } finally {
      redis.disconnect();
    }
  });
});

test('issue 15 / C6: the password write costs 2 round trips on Redis — the grant claim with the C6 slot (one script), then settle + R9 clear together', async () => {
  const redis = createRedis(server.url);
  try {
    await ready(redis);
    const rig = recoveryRig({ redis });
    const user = { tenantId: 't1', objectId: 'rt-reset' };
    rig.directory.add(user);
    rig.methods.set(user, [confirmed('sms', 'mobilePhone', { phoneKey: 'p1' }), confirmed('mail', 'email')]);
    // A first reset loads the scripts (EVALSHA → NOSCRIPT → EVAL, F19); measure the second.
    const warm = await verifyFully(rig, user, 'rt-warm');
    expect(
      (
        await rig.reset.execute({
          user,
          conversationId: 'rt-warm',
          flowId: warm,
          newPassword: 'Warm-Harbour-Maple-7',
          correlationId: 'c-w',
        })
      ).ok,
    ).toBe(true);
    const flowId = await verifyFully(rig, user, 'rt-conv');
    const writes = countWrites(redis);
    const before = writes();
    const r = await rig.reset.execute({
      user,
      conversationId: 'rt-conv',
      flowId,
      newPassword: 'Round-Trip-Harbour-8',
      correlationId: 'c-rt',
    });
    expect(r.ok).toBe(true);
    expect(writes() - before).toBe(2);
    expect(await rig.deps.counter.recent(user, 86_400_000)).toHaveLength(2);
  } finally {
    redis.disconnect();
  }
});

describe('issue 15: the code-send turns over HTTP (bootstrap send, reset: choose a code method)', () => {
  let running: RunningApp;
  beforeAll(async () => {
    running = await startApp({ REDIS_URL: server.url });
  });
  afterAll(async () => {
    await running.close();
  });

  /** Posts one activity; its replies and the app client's socket writes (round trips). */
  async function turn(objectId: string, input: { text: string } | { value: unknown }): Promise<{ replies: Reply[]; roundTrips: number }> {
    const redis = running.app.redis!;
    await ready(redis);
    const writes = countWrites(redis);
    const before = writes();
    const res = await post(running.baseUrl, teamsActivity({ conversationId: `a:rt-send-${objectId}`, userObjectId: objectId, ...input }));
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    return { replies: res.replies, roundTrips: writes() - before };
  }

  /** R31 bootstrap by the directory's mobile number: round trips of the send turn. */
  async function bootstrapSend(objectId: string, mobile: string): Promise<number> {
    await turn(objectId, { text: 'hi' });
    const start = await turn(objectId, { value: { verb: 'menu', choice: 'securityInfo' } });
    const flowId = dataOf(start.replies, 'si.add').flowId as string;
    await turn(objectId, { value: { verb: 'si.add', flowId } });
    const choose = await turn(objectId, { value: { verb: 'si.kind', flowId, kind: 'authenticatorApp' } });
    // The first option is the mobile number (the e-mail address follows).
    let seen = 0;
    const bootstrap = await turn(objectId, { value: { ...dataOf(choose.replies, 'si.bootstrapWith', () => seen++ === 0), msteams: undefined } });
    expect(running.app.services.security.outbox!.lastCode(mobile)).toMatch(/^\d{6}$/);
    expect(dataOf(bootstrap.replies, 'si.code')).toBeDefined();
    return bootstrap.roundTrips;
  }

  test('issue 15 R31 R33: the bootstrap code send (directory mobile) costs 4 round trips: lock + state + the user’s record (where the destination is); own buckets taken ‖ shared checked; code ‖ shared points ‖ R30 count; state write + release + insights', async () => {
    // Warm-up with another directory user: the first use of each script costs one more round trip (F19).
    await bootstrapSend('3d9c2b71-8e4f-4f0a-a6b2-5e1c7d9f0a44', '+31645678901');
    expect(await bootstrapSend('8b4e6f2a-1c3d-4e5f-9a0b-7c8d9e0f1a55', '+31656789012')).toBe(4);
  });
});

describe('issue 15 F16: a code stored with its flow step is one script', () => {
  test('issue 15 F16: RedisVerificationStore.create with a flow step writes the code and moves the flow in one round trip; a moved flow writes neither', async () => {
    const redis = createRedis(server.url);
    await ready(redis);
    const keys = new RedisKeys('rt-step:');
    const flows = new RedisFlowStore(redis, { prefix: 'rt-step:' });
    const codes = new RedisVerificationStore(redis, keys, new HmacKeyRing([{ id: 'k1', key: Buffer.alloc(32, 1) }], 'otp'));
    const u = { tenantId: 't', objectId: 'step' };
    const now = Date.now();
    const flow: FlowRecord = { flowId: 'f1', user: u, conversationId: 'c', goal: 'reset', startedAt: now, expiresAt: now + 600_000, required: 1, privileged: false, state: { name: 'choosingMethod', proved: [] }, version: 0 };
    await flows.create(flow);
    const slot = { user: u, purpose: 'verify' as const, methodId: 'm1' };
    await codes.create({ ...slot, methodId: 'warm' }, '123456', 300); // script load (F19)
    const writes = countWrites(redis);
    const before = writes();
    const next: FlowState = { name: 'challengeSent', proved: [], methodId: 'm1~email' };
    await codes.create(slot, '123456', 300, { flow, next });
    expect(writes() - before).toBe(1);
    expect((await flows.get(u, 'f1'))?.version).toBe(flow.version + 1);
    expect(await redis.exists(keys.code(u, 'verify', 'm1'))).toBe(1);
    // The same step again: the flow is no longer at that version — refused, the code not replaced.
    const stored = await redis.get(keys.code(u, 'verify', 'm1'));
    await expect(codes.create(slot, '654321', 300, { flow, next })).rejects.toMatchObject({ code: 'state_conflict' });
    expect(await redis.get(keys.code(u, 'verify', 'm1'))).toBe(stored);
    redis.disconnect();
  });
});
