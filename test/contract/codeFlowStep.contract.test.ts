import { HmacKeyRing } from '../../adapters/crypto/keyRing';
import { MemoryFlowStore } from '../../adapters/memory/memoryFlowStore';
import { MemoryVerificationStore } from '../../adapters/memory/memoryVerificationStore';
import { RedisFlowStore } from '../../adapters/redis/redisFlowStore';
import { RedisKeys } from '../../adapters/redis/redisKeys';
import { RedisVerificationStore } from '../../adapters/redis/redisVerificationStore';
import type { FlowStore, FlowStep } from '../../domain/ports/flowStore';
import type { VerificationStore } from '../../domain/ports/verificationStore';
import type { FlowRecord } from '../../domain/verification/stateMachine';
import { FixedClock } from '../support/fixedClock';
import { KEY_A, user, privateRedis } from './securityKit';

/** F16 contract of "consume a code and advance the flow" as one atomic step, for the memory fake and Redis alike. */
interface Subject {
  codes: VerificationStore;
  flows: FlowStore;
  codeLive(): Promise<boolean>;
}

const redisServer = privateRedis();
const clock = new FixedClock();
const u = user();
const slot = { user: u, purpose: 'verify' as const, methodId: 'm1' };


const impls: [string, () => Subject][] = [
  [
    'memory',
    () => {
      const flows = new MemoryFlowStore(clock);
      const codes = new MemoryVerificationStore(clock, new HmacKeyRing([KEY_A], 'otp'), flows);
      return { codes, flows, codeLive: async () => codes.has(slot) };
    },
  ],
  [
    'redis',
    () => {
      const keys = new RedisKeys('c:');
      return {
        codes: new RedisVerificationStore(redisServer.client, keys, new HmacKeyRing([KEY_A], 'otp')),
        flows: new RedisFlowStore(redisServer.client, { prefix: 'c:', clock }),
        codeLive: async () => (await redisServer.client.exists(keys.code(u, 'verify', 'm1'))) === 1,
      };
    },
  ],
];

function flowRecord(): FlowRecord {
  const now = clock.now();
  return {
    flowId: 'f'.repeat(32),
    user: u,
    conversationId: 'a:conv',
    goal: 'reset',
    startedAt: now,
    expiresAt: now + 15 * 60_000,
    required: 2,
    privileged: false,
    state: { name: 'challengeSent', proved: [], methodId: 'm1~email' },
    version: 0,
  };
}

describe.each(impls)('F16 code + flow step contract (%s)', (_name, make) => {
  let s: Subject;
  let flow: FlowRecord;
  let step: FlowStep;
  beforeEach(async () => {
    await redisServer.client.flushall();
    s = make();
    flow = flowRecord();
    await s.flows.create(flow);
    step = { flow, next: { name: 'choosingMethod', proved: ['m1~email'] } };
    await s.codes.create(slot, '123456', 300);
  });

  test('F16: the right code with a flow step consumes the code AND advances the flow', async () => {
    expect(await s.codes.attempt(slot, '123456', 5, step)).toBe('ok');
    expect(await s.codeLive()).toBe(false);
    const after = await s.flows.get(u, flow.flowId);
    expect(after?.version).toBe(1);
    expect(after?.state).toEqual(step.next);
    // The same code again: consumed, and the flow is not stepped twice.
    expect(await s.codes.attempt(slot, '123456', 5, { flow: after!, next: step.next })).toBe('no_code');
    expect((await s.flows.get(u, flow.flowId))?.version).toBe(1);
  });

  test('F16: the right code while the flow has moved on → neither: the code stays live, the flow untouched', async () => {
    const moved = await s.flows.advance(u, flow.flowId, 0, { name: 'choosingMethod', proved: [] });
    expect(moved?.version).toBe(1);
    expect(await s.codes.attempt(slot, '123456', 5, step)).toBe('flow_moved');
    expect(await s.codeLive()).toBe(true);
    const after = await s.flows.get(u, flow.flowId);
    expect(after?.version).toBe(1);
    expect(after?.state).toEqual({ name: 'choosingMethod', proved: [] });
  });

  test('F16: a wrong code neither consumes nor advances', async () => {
    expect(await s.codes.attempt(slot, '654321', 5, step)).toBe('invalid');
    expect(await s.codeLive()).toBe(true);
    expect((await s.flows.get(u, flow.flowId))?.version).toBe(0);
  });

  test('F16: a flow that is gone → flow_moved, the code is not consumed', async () => {
    const other: FlowStep = { flow: { ...flow, flowId: 'e'.repeat(32) }, next: step.next };
    expect(await s.codes.attempt(slot, '123456', 5, other)).toBe('flow_moved');
    expect(await s.codeLive()).toBe(true);
  });
});

/** The part of a key Redis Cluster hashes: the first non-empty `{…}`, else the whole key. */
function hashedPart(key: string): string {
  const a = key.indexOf('{');
  const b = a < 0 ? -1 : key.indexOf('}', a + 1);
  return a >= 0 && b > a + 1 ? key.slice(a + 1, b) : key;
}

describe('F16 / F20 on Redis', () => {
  test('F20: the code, its issued marker and the flow key share one hash slot (one script, no CROSSSLOT in a Cluster)', () => {
    const keys = new RedisKeys('sspr:');
    const slots = new Set([keys.code(u, 'verify', 'm1'), keys.codeIssued(u, 'verify', 'm1'), keys.flow(u, 'f'.repeat(32))].map(hashedPart));
    expect(slots.size).toBe(1);
  });

  test('F16: RedisFlowStore and the code script name the flow key the same way', async () => {
    await redisServer.client.flushall();
    const flows = new RedisFlowStore(redisServer.client, { prefix: 'sspr:', clock });
    const flow = flowRecord();
    await flows.create(flow);
    expect(await redisServer.client.exists(new RedisKeys('sspr:').flow(u, flow.flowId))).toBe(1);
  });
});
