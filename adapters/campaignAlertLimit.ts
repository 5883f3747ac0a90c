import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { SecurityAlertKind } from '../domain/campaigns/model';
import type { AlertRateLimit } from '../domain/campaigns/securityAlerts';

/**
 * E2's "at most N alerts of one kind per hour", with rate-limiter-flexible. The limiter (Redis for all workers, or
 * memory) comes from the state backend (bot/state/stateBackend.ts, rule 17).
 */
export class RlfAlertRateLimit implements AlertRateLimit {
  constructor(private readonly limiter: RateLimiterAbstract) {}

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
