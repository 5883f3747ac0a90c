import type Redis from 'ioredis';
import type { HourlyCounter } from '../senders/phoneGuard';
import type { RedisKeys } from './redisKeys';

/** Global hourly send counters kept 8 days (R30 baseline). */
export class RedisHourlyCounter implements HourlyCounter {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async increment(hourIndex: number): Promise<number> {
    const key = this.keys.telephonyHour(hourIndex);
    const [[, n]] = (await this.redis.multi().incr(key).expire(key, 8 * 86_400).exec()) as [[unknown, number], unknown];
    return Number(n);
  }

  async read(hourIndexes: readonly number[]): Promise<readonly number[]> {
    if (hourIndexes.length === 0) return [];
    const vals = await this.redis.mget(...hourIndexes.map((h) => this.keys.telephonyHour(h)));
    return vals.map((v) => Number(v ?? 0));
  }
}
