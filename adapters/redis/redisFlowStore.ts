import type Redis from 'ioredis';
import { SsprError } from '../../domain/errors';
import type { UserRef } from '../../domain/model/user';
import type { FlowStore } from '../../domain/ports/flowStore';
import type { FlowRecord, FlowState } from '../../domain/verification/stateMachine';
import { LuaScript, RecoveryRedisBase, type RecoveryRedisOptions } from './recoveryRedis';
import { RedisKeys } from './redisKeys';
import type { UserRecordMemo } from './userRecordMemo';

/** Keep a flow record a little past its own expiry so late events answer `expired` rather than `no_flow`. */
const GRACE_MS = 5 * 60 * 1000;

// KEYS[1] flow hash; ARGV: now, version, record JSON, ttl ms.
const CREATE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'rec', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`);

// KEYS[1] flow hash; ARGV: now, expectedVersion, newVersion, record JSON. Compare-and-set on field `v`.
const ADVANCE = new LuaScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return -1 end
if tonumber(v) ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[3], 'rec', ARGV[4])
return 1
`);

/**
 * Verification flows in Redis: one hash per flow under the user's hash tag, `{u:<tenant>:<oid>}:flow:<flowId>`,
 * with the record (references only) and a version for compare-and-set. The key expires with the flow.
 */
export class RedisFlowStore extends RecoveryRedisBase implements FlowStore {
  private readonly names: RedisKeys;

  /**
   * `memo` (issue 15): the turn's read-ahead of the flow a card names (read in the lock's round trip) is served by
   * {@link get} once; every write here drops it first.
   */
  constructor(
    redis: Redis,
    options: RecoveryRedisOptions,
    private readonly memo?: Pick<UserRecordMemo, 'takeFlow' | 'flowWritten'>,
  ) {
    super(redis, options);
    this.names = new RedisKeys(options.prefix);
  }

  /** The one naming of a flow key (RedisKeys.flow), shared with RedisVerificationStore's F16 script. */
  private flowKey(user: UserRef, flowId: string): string {
    return this.names.flow(user, flowId);
  }

  async create(flow: FlowRecord): Promise<void> {
    const key = this.flowKey(flow.user, flow.flowId);
    const ttl = Math.max(1000, flow.expiresAt - flow.startedAt) + GRACE_MS;
    this.memo?.flowWritten(key);
    const res = await this.run(CREATE, [key], [flow.version, JSON.stringify(flow), ttl], 'create flow');
    if (Number(res) !== 1) throw new SsprError('state_conflict', 'flow id already in use');
  }

  async get(user: UserRef, flowId: string): Promise<FlowRecord | null> {
    const key = this.flowKey(user, flowId);
    // Read ahead with the turn's lock (issue 15): the same HGET, one round trip earlier; the caller checks the flow
    // exactly as a fresh read (loadBoundFlow), and every write compares the version in Redis.
    const ahead = this.memo?.takeFlow(key);
    const raw = ahead !== undefined ? ahead : await this.call(() => this.redis.hget(key, 'rec'), 'read flow');
    if (raw === null) return null;
    try {
      return JSON.parse(raw) as FlowRecord;
    } catch (cause) {
      throw new SsprError('internal', 'stored flow record is not valid JSON', { cause });
    }
  }

  async advance(user: UserRef, flowId: string, expectedVersion: number, next: FlowState, known?: FlowRecord): Promise<FlowRecord | null> {
    // The script's compare-and-set on the version is what guards; the record the caller read at that version is as
    // good as a fresh read (one round trip less).
    const usable = known && known.version === expectedVersion && known.flowId === flowId && known.user.objectId === user.objectId && known.user.tenantId === user.tenantId;
    const current = usable ? known : await this.get(user, flowId);
    if (!current || current.version !== expectedVersion) return null;
    const updated: FlowRecord = { ...current, state: next, version: expectedVersion + 1 };
    this.memo?.flowWritten(this.flowKey(user, flowId));
    const res = await this.run(
      ADVANCE,
      [this.flowKey(user, flowId)],
      [expectedVersion, updated.version, JSON.stringify(updated)],
      'advance flow',
    );
    return Number(res) === 1 ? updated : null;
  }
}
