import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { SsprError } from '../../domain/errors';
import type { RateCounter } from '../../domain/ports/rateCounter';

/** RateCounter on rate-limiter-flexible: a fixed window of `points` per `durationSeconds`. */
export class LimiterRateCounter implements RateCounter {
  constructor(
    private readonly limiter: RateLimiterAbstract,
    private readonly points: number,
  ) {}

  async peek(key: string): Promise<number> {
    try {
      const r = await this.limiter.get(key);
      return r && r.consumedPoints >= this.points ? Math.max(1, r.msBeforeNext) : 0;
    } catch (cause) {
      throw new SsprError('state_unavailable', 'rate counter unavailable', { cause });
    }
  }

  async spend(key: string): Promise<number> {
    try {
      await this.limiter.consume(key, 1);
      return 0;
    } catch (e) {
      if (e instanceof RateLimiterRes) return Math.max(1, e.msBeforeNext);
      throw new SsprError('state_unavailable', 'rate counter unavailable', { cause: e });
    }
  }
}
