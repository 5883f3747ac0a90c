import type Redis from 'ioredis';
import type { HourlyCounter } from '../senders/phoneGuard';
import { LuaScript } from './luaScript';
import type { RedisKeys } from './redisKeys';

// KEYS: the hour's counter. ARGV: expiry s. A script, not MULTI, so it rides in the auto-pipelined write of the
// send's other commands (issue 15) and stays atomic.
const INCREMENT = new LuaScript(`
local n = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return n
`);

/** Global hourly send counters kept 8 days (R30 baseline). */
export class RedisHourlyCounter implements HourlyCounter {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async increment(hourIndex: number): Promise<number> {
    const key = this.keys.telephonyHour(hourIndex);
    return Number(await INCREMENT.run(this.redis, [key], [8 * 86_400]));
  }

  async read(hourIndexes: readonly number[]): Promise<readonly number[]> {
    if (hourIndexes.length === 0) return [];
    const vals = await this.redis.mget(...hourIndexes.map((h) => this.keys.telephonyHour(h)));
    return vals.map((v) => Number(v ?? 0));
  }
}
