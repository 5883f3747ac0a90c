import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { UserRef } from '../../domain/model/user';
import type { FailureOutcome, VerificationBlock } from '../../domain/ports/verificationBlock';
import { LUA_NOW, LuaScript, RecoveryRedisBase, type RecoveryRedisOptions } from './recoveryRedis';
import type { UserRecordMemo } from './userRecordMemo';

// KEYS[1] failures (zset of times), KEYS[2] block (epoch ms until); ARGV: now, member, windowMs, threshold, blockMs.
const RECORD = new LuaScript(`${LUA_NOW}
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], window)
local n = redis.call('ZCARD', KEYS[1])
if n >= tonumber(ARGV[4]) then
  local untilMs = now + tonumber(ARGV[5])
  redis.call('SET', KEYS[2], untilMs, 'PX', tonumber(ARGV[5]))
  return {n, untilMs}
end
local b = tonumber(redis.call('GET', KEYS[2]) or '0')
if b > now then return {n, b} end
return {n, -1}
`);

// KEYS[1] block; ARGV: now.
const BLOCKED = new LuaScript(`${LUA_NOW}
local b = tonumber(redis.call('GET', KEYS[1]) or '0')
if b > now then return b end
return -1
`);

export interface BlockSettings {
  /** policy.throttles.failedVerificationsBeforeBlock (R9: 5). */
  readonly threshold: number;
  /** Window in which failures count (R9: 24 h). */
  readonly windowMs: number;
  /** policy.throttles.blockHours × 3 600 000, from the last failure (R9: 24 h). */
  readonly blockMs: number;
}

/**
 * R9 in Redis: `{u:<tenant>:<oid>}:vfail` (sorted set of failure times) and `{u:…}:vblock` (blocked-until),
 * updated by one script so every instance and conversation shares one exact count. Times from Redis TIME unless a
 * test clock is given (F17).
 *
 * Issue 15: with a {@link UserRecordMemo}, the block is read inside a turn from the turn's one read of the user's
 * record (the key is part of it). The block key expires when the block ends (PX, in Redis's time), so the key being
 * there is the same verdict the BLOCKED script gives; with a test clock the end is compared with that clock, as the
 * script does. A failure counted or a block cleared re-reads the record behind the write (same round trip).
 */
export class RedisVerificationBlock extends RecoveryRedisBase implements VerificationBlock {
  constructor(
    redis: Redis,
    options: RecoveryRedisOptions,
    private readonly settings: BlockSettings,
    private readonly memo?: UserRecordMemo,
  ) {
    super(redis, options);
  }

  async recordFailure(user: UserRef): Promise<FailureOutcome> {
    // Unique member per failure: two failures in the same millisecond must count twice.
    const member = randomUUID();
    const res = await this.run(
      RECORD,
      [this.key(user, 'vfail'), this.key(user, 'vblock')],
      [member, this.settings.windowMs, this.settings.threshold, this.settings.blockMs],
      'record verification failure',
      () => this.memo?.wrote(user),
    );
    const [n, until] = Array.isArray(res) ? res.map(Number) : [0, -1];
    return { failures: n ?? 0, blockedUntil: until !== undefined && until > 0 ? until : null };
  }

  async blockedUntil(user: UserRef): Promise<number | null> {
    if (this.memo?.active()) {
      const v = (await this.call(() => this.memo!.read(user), 'read verification block')).block;
      const until = v === null ? NaN : Number(v);
      if (!(until > 0)) return null;
      const now = this.testNow();
      return now === null || until > now ? until : null;
    }
    const res = Number(await this.run(BLOCKED, [this.key(user, 'vblock')], [], 'read verification block'));
    return res > 0 ? res : null;
  }

  async clear(user: UserRef): Promise<void> {
    await this.call(() => {
      const sent = this.redis.del(this.key(user, 'vfail'), this.key(user, 'vblock'));
      this.memo?.wrote(user);
      return sent;
    }, 'clear verification block');
  }
}
