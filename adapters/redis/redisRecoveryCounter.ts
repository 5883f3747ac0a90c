import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { UserRef } from '../../domain/model/user';
import type { RecoveryCounter } from '../../domain/ports/recoveryCounter';
import { LUA_NOW, LuaScript, RecoveryRedisBase, type RecoveryRedisOptions } from './recoveryRedis';

// KEYS[1] zset of completion times; ARGV: now, member ('' = only read), window ms. Returns the scores in the window.
const WINDOW = new LuaScript(`${LUA_NOW}
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if ARGV[2] ~= '' then
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], window)
end
local out = {}
local all = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 2, #all, 2 do out[#out + 1] = all[i] end
return out
`);

/**
 * Resets/unlocks per user in a sliding window (C6): `{u:<tenant>:<oid>}:recoveries`, a sorted set of completion
 * times trimmed to the window on every call and expiring with it. One round trip per call.
 */
export class RedisRecoveryCounter extends RecoveryRedisBase implements RecoveryCounter {
  constructor(redis: Redis, options: RecoveryRedisOptions) {
    super(redis, options);
  }

  async recent(user: UserRef, windowMs: number): Promise<readonly number[]> {
    const scores = (await this.run(WINDOW, [this.key(user, 'recoveries')], ['', Math.round(windowMs)], 'read recoveries')) as string[];
    return scores.map(Number);
  }

  async record(user: UserRef, windowMs: number): Promise<number> {
    const scores = (await this.run(WINDOW, [this.key(user, 'recoveries')], [randomUUID(), Math.round(windowMs)], 'record recovery')) as string[];
    return scores.length;
  }
}
