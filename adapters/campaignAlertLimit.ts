import type { Cluster, Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { SecurityAlertKind } from '../domain/campaigns/model';
import type { AlertRateLimit } from '../domain/campaigns/securityAlerts';

/** E2's "at most N alerts of one kind per hour", with rate-limiter-flexible (Redis for all workers, or memory). */
export class RlfAlertRateLimit implements AlertRateLimit {
  private readonly limiter: RateLimiterAbstract;

  constructor(redis: Redis | Cluster | null, prefix: string, perHour: number) {
    const o = { keyPrefix: `${prefix}rl:{campaign-alerts}`, points: perHour, duration: 3600 };
    this.limiter = redis ? new RateLimiterRedis({ storeClient: redis, ...o }) : new RateLimiterMemory(o);
  }

  async take(kind: SecurityAlertKind): Promise<boolean> {
    try {
      await this.limiter.consume(kind, 1);
      return true;
    } catch (e) {
      if (e instanceof Error) throw e;
      return false;
    }
  }
}
