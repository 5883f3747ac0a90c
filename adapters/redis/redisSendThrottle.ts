import type Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { SsprError } from '../../domain/errors';
import type { SendThrottle, ThrottleBucket } from '../../domain/ports/throttle';
import type { RedisKeys } from './redisKeys';

/**
 * SendThrottle with rate-limiter-flexible's RateLimiterRedis (R10, R30). Windows live in Redis key TTLs, so every
 * instance shares them and no local clock is involved. Shared subjects (destinations, prefixes) are pseudonymised.
 */
export class RedisSendThrottle implements SendThrottle {
  private readonly limiters = new Map<string, RateLimiterRedis>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly pseudonymise: (subject: string) => string,
  ) {}

  private limiter(b: ThrottleBucket): RateLimiterRedis {
    const id = `${b.name}/${b.limit}/${b.windowSeconds}`;
    let l = this.limiters.get(id);
    if (!l) {
      l = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: this.keys.throttlePrefix(b.name),
        points: b.limit,
        duration: b.windowSeconds,
      });
      this.limiters.set(id, l);
    }
    return l;
  }

  private key(b: ThrottleBucket): string {
    return b.user ? this.keys.userBucket(b.user, b.subject) : this.keys.sharedBucket(this.pseudonymise(b.subject));
  }

  async take(buckets: readonly ThrottleBucket[]): Promise<{ ok: true } | { ok: false; retryAfterMs: number }> {
    try {
      let wait = 0;
      for (const b of buckets) {
        const res = await this.limiter(b).get(this.key(b));
        if (res && res.consumedPoints >= b.limit) wait = Math.max(wait, res.msBeforeNext);
      }
      if (wait > 0) return { ok: false, retryAfterMs: wait };
      for (const b of buckets) {
        try {
          await this.limiter(b).consume(this.key(b), 1);
        } catch (e) {
          if (e instanceof RateLimiterRes) wait = Math.max(wait, e.msBeforeNext);
          else throw e;
        }
      }
      return wait > 0 ? { ok: false, retryAfterMs: wait } : { ok: true };
    } catch (cause) {
      throw new SsprError('state_unavailable', 'send throttle unavailable', { cause });
    }
  }

  async reset(buckets: readonly ThrottleBucket[]): Promise<void> {
    for (const b of buckets) await this.limiter(b).delete(this.key(b));
  }
}
