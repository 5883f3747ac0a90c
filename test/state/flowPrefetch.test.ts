import { TestAdapter, type Activity } from 'botbuilder';
import type Redis from 'ioredis';
import { RedisFlowStore } from '../../adapters/redis/redisFlowStore';
import { RedisKeys } from '../../adapters/redis/redisKeys';
import { RedisVerificationBlock } from '../../adapters/redis/redisVerificationBlock';
import { RedisVerificationStore } from '../../adapters/redis/redisVerificationStore';
import { RedisTotpReplayCache } from '../../adapters/redis/redisTotpReplayCache';
import { UserRecordMemo } from '../../adapters/redis/userRecordMemo';
import { HmacKeyRing } from '../../adapters/crypto/keyRing';
import { activityFlowId, activityUser } from '../../bot/identity';
import { createRedis } from '../../bot/redisClient';
import { RedisStorage } from '../../bot/redisStorage';
import { TurnGuard, TurnScope } from '../../bot/turnGuard';
import type { UserRef } from '../../domain/model/user';
import { loadBoundFlow } from '../../domain/recovery/flowAccess';
import { RequestChallenge } from '../../domain/recovery/requestChallenge';
import { StartRecovery } from '../../domain/recovery/startRecovery';
import type { FlowRecord } from '../../domain/verification/stateMachine';
import { recoveryRig, type RecoveryRig } from '../support/recoveryHarness';
import { confirmed } from '../support/recoveryFakes';
import { startRedis, type RedisServer } from '../support/redisServer';
import { waitReady } from './helpers';

/**
 * Issue 15 item 2: the flow a verify-identity card names is read in the TurnGuard's lock + state round trip
 * (bot/identity.ts activityFlowId, adapters/redis/userRecordMemo.ts queueFlow) and RedisFlowStore.get serves it
 * once inside that turn. The card's flow id is only a lookup key under the activity's own user: the use-case checks
 * the flow it gets exactly as a fresh read (R2: this user, this conversation; the flow's step), and any write to
 * the flow drops what was read ahead.
 */
const TENANT = 't-prefetch';
let server: RedisServer;
let redis: Redis;
let other: Redis;
let writes = 0;

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
  other = createRedis(server.url);
  await waitReady(redis);
  await waitReady(other);
  const stream = (redis as unknown as { stream: NodeJS.WritableStream }).stream;
  const original = stream.write.bind(stream) as (...a: unknown[]) => boolean;
  stream.write = (...a: unknown[]) => {
    writes++;
    return original(...a);
  };
});
afterAll(async () => {
  redis.disconnect();
  other.disconnect();
  await server.destroy();
});

interface Rig {
  rig: RecoveryRig;
  adapter: TestAdapter;
  flows: RedisFlowStore;
  codes: RedisVerificationStore;
  totp: RedisTotpReplayCache;
  challenge: RequestChallenge;
  start: StartRecovery;
}

/** The bot's wiring (bot/state/stateBackend.ts) on a private Redis: guard + storage + memo + the memo'd stores. */
function wire(): Rig {
  const rig = recoveryRig({ redis });
  const o = { prefix: 'test:', clock: rig.clock };
  const memo = new UserRecordMemo(redis, new RedisKeys('test:'));
  const scope = new TurnScope();
  const storage = new RedisStorage(redis, { prefix: 'test:state:', ttlSeconds: 600, scope });
  const guard = new TurnGuard(redis, {
    keyPrefix: 'test:',
    scope,
    memo,
    prefetch: { storage, keys: (a) => [`${a.channelId ?? ''}/conversations/${a.conversation?.id ?? ''}/`], user: activityUser, flow: activityFlowId },
  });
  const adapter = new TestAdapter();
  adapter.use(guard);
  const flows = new RedisFlowStore(redis, o, memo);
  const block = new RedisVerificationBlock(redis, o, { threshold: 5, windowMs: 86_400_000, blockMs: 86_400_000 }, memo);
  const codes = new RedisVerificationStore(redis, new RedisKeys('test:'), new HmacKeyRing([{ id: 'k1', key: Buffer.alloc(32, 7) }], 'otp'), memo);
  const totp = new RedisTotpReplayCache(redis, new RedisKeys('test:'), rig.clock, memo);
  const deps = { ...rig.deps, flows, block };
  return { rig, adapter, flows, codes, totp, challenge: new RequestChallenge(deps), start: new StartRecovery(deps) };
}

function person(r: Rig, objectId: string): UserRef {
  const user = { tenantId: TENANT, objectId };
  r.rig.directory.add(user);
  r.rig.methods.set(user, [confirmed('mail', 'email'), confirmed('sms', 'mobilePhone', { phoneKey: `p-${objectId}` })]);
  return user;
}

async function startFlow(r: Rig, user: UserRef, conv: string): Promise<string> {
  const started = await r.start.execute({ user, conversationId: conv, goal: 'reset', correlationId: 'c-start' });
  if (!started.ok) throw new Error(`start refused: ${started.auditReason}`);
  return started.flow.flowId;
}

let seq = 0;
/** A card submit of `user` in `conv`, as Teams posts it; `inTurn` runs inside the guarded turn. */
async function cardTurn(r: Rig, user: UserRef, conv: string, value: unknown, inTurn: () => Promise<void>): Promise<void> {
  const activity: Partial<Activity> = {
    type: 'message',
    id: `act-${++seq}`,
    channelId: 'msteams',
    from: { id: `29:${user.objectId}`, name: 'User', aadObjectId: user.objectId },
    recipient: { id: 'bot', name: 'Bot' },
    conversation: { id: conv, isGroup: false, conversationType: 'personal', name: '' },
    channelData: { tenant: { id: user.tenantId } },
    value,
  };
  let ran = false;
  await r.adapter.processActivity(activity, async () => {
    await inTurn();
    ran = true;
  });
  expect(ran).toBe(true);
}

/** The stored flow, read by another client (not through any memo). */
async function stored(user: UserRef, flowId: string): Promise<FlowRecord | null> {
  const raw = await other.hget(`test:{u:${user.tenantId}:${user.objectId}}:flow:${flowId}`, 'rec');
  return raw === null ? null : (JSON.parse(raw) as FlowRecord);
}

const choose = (flowId: string, methodId = 'mail') => ({ verb: 'verify.choose', flowId, methodId });
const input = (user: UserRef, conv: string, flowId: string) => ({ user, conversationId: conv, flowId, methodId: 'mail', locale: 'en' as const, correlationId: 'c-ch' });

test('issue 15 R2: the flow a card names comes with the lock and is served once — no flow read of its own; a second read goes to Redis', async () => {
  const r = wire();
  const x = person(r, 'pf-x1');
  const flowId = await startFlow(r, x, 'conv-x1');
  await cardTurn(r, x, 'conv-x1', choose(flowId), async () => {
    const before = writes;
    const flow = await loadBoundFlow(r.flows, x, 'conv-x1', flowId);
    expect(writes - before).toBe(0);
    expect(flow).toMatchObject({ flowId, version: 0, state: { name: 'choosingMethod' } });
    await r.flows.get(x, flowId);
    expect(writes - before).toBe(1);
  });
  // Not a verify card (no verb, a bad flow id, another journey's verb): nothing is read ahead.
  for (const value of [undefined, { flowId }, { verb: 'verify.choose', flowId: 'a}b{c-not-an-id', methodId: 'mail' }, { verb: 'si.add', flowId }]) {
    await cardTurn(r, x, 'conv-x1', value, async () => {
      const before = writes;
      await r.flows.get(x, flowId);
      expect(writes - before).toBe(1);
    });
  }
});

test('issue 15 R2: a card naming another user’s flow id, or the caller’s own flow of another conversation, is refused as before — nothing sent, the flow untouched', async () => {
  const r = wire();
  const x = person(r, 'pf-x2');
  const y = person(r, 'pf-y2');
  const fx = await startFlow(r, x, 'conv-x2');
  const fy = await startFlow(r, y, 'conv-y2');

  // Y's card names X's flow: read ahead under Y's own key, it finds nothing; the refusal costs no round trip.
  await cardTurn(r, y, 'conv-y2', choose(fx), async () => {
    const before = writes;
    expect(await r.challenge.execute(input(y, 'conv-y2', fx))).toMatchObject({ ok: false, reason: 'no_flow' });
    expect(writes - before).toBe(0);
  });
  // The same card, while the turn acts on Y's own flow (the dialog's): Y's flow is read, not what was read ahead.
  await cardTurn(r, y, 'conv-y2', choose(fx), async () => {
    expect(await r.flows.get(y, fy)).toMatchObject({ flowId: fy, user: y });
  });
  // X's own flow, named by a card in another conversation of X's: found ahead, refused by the binding check (R2).
  await cardTurn(r, x, 'conv-x2-other', choose(fx), async () => {
    const before = writes;
    expect(await r.challenge.execute(input(x, 'conv-x2-other', fx))).toMatchObject({ ok: false, reason: 'no_flow' });
    expect(writes - before).toBe(0);
  });
  expect(r.rig.prover.sent).toEqual([]);
  expect(await stored(x, fx)).toMatchObject({ version: 0, state: { name: 'choosingMethod' } });
  expect(await stored(y, fy)).toMatchObject({ version: 0, state: { name: 'choosingMethod' } });
});

test('issue 15 R25: a flow that advanced since it was read ahead is refused as a fresh read would be — any write to the flow drops the read-ahead', async () => {
  const r = wire();
  const x = person(r, 'pf-x3');
  const flowId = await startFlow(r, x, 'conv-x3');
  const atStart = (await stored(x, flowId))!;
  // In the turn, after the lock's read-ahead, the flow is moved by the code store's F16 script (not by the flow
  // store): the choice must see the cancelled flow, not the choosing one read ahead.
  await cardTurn(r, x, 'conv-x3', choose(flowId), async () => {
    await r.codes.create({ user: x, purpose: 'verify', methodId: 'other' }, '123456', 300, { flow: atStart, next: { name: 'failed', reason: 'cancelled' } });
    expect(await r.challenge.execute(input(x, 'conv-x3', flowId))).toMatchObject({ ok: false, reason: 'invalid_state' });
  });
  expect(r.rig.prover.sent).toEqual([]);
  expect(await stored(x, flowId)).toMatchObject({ version: 1, state: { name: 'failed' } });

  // …or by an accepted authenticator code's script (F16).
  const viaTotp = await startFlow(r, x, 'conv-x3t');
  const totpHeld = (await stored(x, viaTotp))!;
  await cardTurn(r, x, 'conv-x3t', choose(viaTotp), async () => {
    expect(await r.totp.accept(x, 1234, { methodId: 'app', mark: 'lastUsedAt', at: 1, step: { flow: totpHeld, next: { name: 'failed', reason: 'cancelled' } } })).toMatchObject({ ok: true });
    expect(await r.challenge.execute(input(x, 'conv-x3t', viaTotp))).toMatchObject({ ok: false, reason: 'invalid_state' });
  });
  expect(r.rig.prover.sent).toEqual([]);

  // The same through the flow store: advanced with the record the caller holds (no read of its own), then read.
  const second = await startFlow(r, x, 'conv-x3b');
  const held = (await stored(x, second))!;
  await cardTurn(r, x, 'conv-x3b', choose(second), async () => {
    expect(await r.flows.advance(x, second, 0, { name: 'expired' }, held)).toMatchObject({ version: 1 });
    expect(await r.challenge.execute(input(x, 'conv-x3b', second))).toMatchObject({ ok: false, reason: 'expired' });
  });
  expect(r.rig.prover.sent).toEqual([]);

  // Moved by another writer after the read-ahead (turns of a conversation are serialised, so only a bug or another
  // process could): the read-ahead record is never a licence to write — the compare-and-set in Redis refuses.
  const third = await startFlow(r, x, 'conv-x3c');
  await cardTurn(r, x, 'conv-x3c', choose(third), async () => {
    await new RedisFlowStore(other, { prefix: 'test:', clock: r.rig.clock }).advance(x, third, 0, { name: 'failed', reason: 'cancelled' });
    const ahead = (await r.flows.get(x, third))!;
    expect(ahead.version).toBe(0);
    expect(await r.flows.advance(x, third, 0, { name: 'challengeSent', proved: [], methodId: 'mail' }, ahead)).toBeNull();
  });
  expect(await stored(x, third)).toMatchObject({ version: 1, state: { name: 'failed' } });
});
