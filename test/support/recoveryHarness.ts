import type Redis from 'ioredis';
import { MemoryFlowStore } from '../../adapters/memory/memoryFlowStore';
import { MemoryGrantStore } from '../../adapters/memory/memoryGrantStore';
import { MemoryRecoveryCounter } from '../../adapters/memory/memoryRecoveryCounter';
import { MemoryVerificationBlock } from '../../adapters/memory/memoryVerificationBlock';
import { RedisFlowStore } from '../../adapters/redis/redisFlowStore';
import { RedisGrantStore } from '../../adapters/redis/redisGrantStore';
import { RedisRecoveryCounter } from '../../adapters/redis/redisRecoveryCounter';
import { RedisVerificationBlock } from '../../adapters/redis/redisVerificationBlock';
import type { Directory } from '../../domain/ports/directory';
import { DEFAULT_POLICY, type Policy } from '../../domain/policy/policy';
import { InProcessDomainEvents } from '../../domain/events';
import { wireCoreSubscribers } from '../../domain/eventSubscribers';
import type { RecoveryDeps } from '../../domain/recovery/recoveryDeps';
import { RequestChallenge } from '../../domain/recovery/requestChallenge';
import { ResetPassword } from '../../domain/recovery/resetPassword';
import { StartRecovery } from '../../domain/recovery/startRecovery';
import { SubmitProof } from '../../domain/recovery/submitProof';
import { UnlockAccount } from '../../domain/recovery/unlockAccount';
import { FakeDirectory } from './fakeDirectory';
import { FixedClock, SeededRandom } from './fixedClock';
import { RecordingAudit, RecordingNotifications, StaticMethods, TestProver } from './recoveryFakes';

export interface RecoveryRig {
  clock: FixedClock;
  policy: Policy;
  directory: FakeDirectory;
  methods: StaticMethods;
  prover: TestProver;
  audit: RecordingAudit;
  notifications: RecordingNotifications;
  deps: RecoveryDeps;
  start: StartRecovery;
  challenge: RequestChallenge;
  proof: SubmitProof;
  reset: ResetPassword;
  unlock: UnlockAccount;
}

/** Wires the recovery use-cases over the Redis adapters (when `redis` is given) or the memory fakes. */
export function recoveryRig(
  opts: { redis?: Redis; clock?: FixedClock; policy?: Policy; seed?: number; directory?: FakeDirectory; /** A real directory (Samba, slapd) instead of the fake. */ liveDirectory?: Directory } = {},
): RecoveryRig {
  const clock = opts.clock ?? new FixedClock();
  const policy = opts.policy ?? DEFAULT_POLICY;
  const directory = opts.directory ?? new FakeDirectory(clock);
  const methods = new StaticMethods();
  const prover = new TestProver(opts.redis ?? null);
  const audit = new RecordingAudit();
  const notifications = new RecordingNotifications();
  // Rule 18: outcomes are events; the audit log and the notifications subscribe, as in the app.
  const events = new InProcessDomainEvents();
  wireCoreSubscribers(events, audit, notifications);
  const times = { lifetimeMs: policy.grant.lifetimeSeconds * 1000, maxFlowMs: policy.grant.maxFlowSeconds * 1000 };
  const block = {
    threshold: policy.throttles.failedVerificationsBeforeBlock,
    windowMs: 24 * 3_600_000,
    blockMs: policy.throttles.blockHours * 3_600_000,
  };
  const r = opts.redis;
  const o = { prefix: 'test:', clock };
  const memoryCounter = new MemoryRecoveryCounter(clock);
  const deps: RecoveryDeps = {
    policy,
    directory: opts.liveDirectory ?? directory,
    methods,
    prover,
    flows: r ? new RedisFlowStore(r, o) : new MemoryFlowStore(clock),
    grants: r ? new RedisGrantStore(r, o, times) : new MemoryGrantStore(clock, times, memoryCounter),
    block: r ? new RedisVerificationBlock(r, o, block) : new MemoryVerificationBlock(clock, block),
    counter: r ? new RedisRecoveryCounter(r, o) : memoryCounter,
    audit,
    notifications,
    clock,
    random: new SeededRandom(opts.seed ?? 7),
    events,
  };
  return {
    clock,
    policy,
    directory,
    methods,
    prover,
    audit,
    notifications,
    deps,
    start: new StartRecovery(deps),
    challenge: new RequestChallenge(deps),
    proof: new SubmitProof(deps),
    reset: new ResetPassword(deps),
    unlock: new UnlockAccount(deps),
  };
}
