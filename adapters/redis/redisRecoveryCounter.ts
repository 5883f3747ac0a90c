import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { UserRef } from '../../domain/model/user';
import type { RecoveryCounter } from '../../domain/ports/recoveryCounter';
import { LUA_NOW, LuaScript, RecoveryRedisBase, type RecoveryRedisOptions } from './recoveryRedis';

const DAY_MS = 24 * 60 * 60 * 1000;

// KEYS[1] zset of completion times; ARGV: now, member ('' = only count).
const COUNT = new LuaScript(`${LUA_NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ${DAY_MS})
if ARGV[2] ~= '' then
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ${DAY_MS})
end
return redis.call('ZCARD', KEYS[1])
`);

/** Resets/unlocks per user in a sliding 24 h window: `{u:<tenant>:<oid>}:recoveries` (policy.resets.maxPerDay). */
export class RedisRecoveryCounter extends RecoveryRedisBase implements RecoveryCounter {
  constructor(redis: Redis, options: RecoveryRedisOptions) {
    super(redis, options);
  }

  async countToday(user: UserRef): Promise<number> {
    return Number(await this.run(COUNT, [this.key(user, 'recoveries')], [''], 'count recoveries'));
  }

  async record(user: UserRef): Promise<number> {
    const member = randomUUID();
    return Number(await this.run(COUNT, [this.key(user, 'recoveries')], [member], 'record recovery'));
  }
}
