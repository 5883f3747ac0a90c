import type Redis from 'ioredis';
import type { UserRef } from '../../domain/model/user';
import type { TotpReplayCache } from '../../domain/ports/totp';
import type { RedisKeys } from './redisKeys';

/** Used TOTP steps per user, SET NX with a 120 s expiry (≥ 90 s covers the ±1 step window) (R12). */
export class RedisTotpReplayCache implements TotpReplayCache {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly ttlSeconds = 120,
  ) {}

  async claim(user: UserRef, step: number): Promise<boolean> {
    const r = await this.redis.set(this.keys.totpStep(user, step), '1', 'EX', this.ttlSeconds, 'NX');
    return r === 'OK';
  }
}
