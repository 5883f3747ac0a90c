import type { Clock } from '../../domain/ports/clock';
import type { SendThrottle, ThrottleBucket } from '../../domain/ports/throttle';
import { BoundedMap, DEFAULT_MEMORY_CAP } from './boundedMap';

/** Fixed-window counters like rate-limiter-flexible's, on the injected clock (tests, embedded default). */
export class MemorySendThrottle implements SendThrottle {
  private readonly windows = new BoundedMap<string, { count: number; resetAt: number }>(DEFAULT_MEMORY_CAP, (w) => w.resetAt <= this.clock.now());

  constructor(private readonly clock: Clock) {}

  private key(b: ThrottleBucket): string {
    return `${b.name}|${b.limit}|${b.windowSeconds}|${b.user ? `${b.user.tenantId}:${b.user.objectId}` : '*'}|${b.subject}`;
  }

  private current(b: ThrottleBucket): { count: number; resetAt: number } | undefined {
    const w = this.windows.get(this.key(b));
    if (w && w.resetAt <= this.clock.now()) {
      this.windows.delete(this.key(b));
      return undefined;
    }
    return w;
  }

  async take(buckets: readonly ThrottleBucket[]): Promise<{ ok: true } | { ok: false; retryAfterMs: number }> {
    const now = this.clock.now();
    let wait = 0;
    for (const b of buckets) {
      const w = this.current(b);
      if (w && w.count >= b.limit) wait = Math.max(wait, w.resetAt - now);
    }
    if (wait > 0) return { ok: false, retryAfterMs: wait };
    for (const b of buckets) {
      const w = this.current(b);
      if (w) w.count += 1;
      else this.windows.set(this.key(b), { count: 1, resetAt: now + b.windowSeconds * 1000 });
    }
    return { ok: true };
  }

  async reset(buckets: readonly ThrottleBucket[]): Promise<void> {
    for (const b of buckets) this.windows.delete(this.key(b));
  }
}
