import type { Clock } from '../../domain/ports/clock';
import type { SendThrottle, ThrottleBucket, ThrottleVerdict } from '../../domain/ports/throttle';
import { BoundedMap, DEFAULT_MEMORY_CAP } from './boundedMap';

interface Window {
  count: number;
  resetAt: number;
  /** Distinct buckets: the values counted in this window. */
  members?: Set<string>;
}

/** Fixed-window counters like rate-limiter-flexible's, on the injected clock (tests, embedded default). */
export class MemorySendThrottle implements SendThrottle {
  private readonly windows = new BoundedMap<string, Window>(DEFAULT_MEMORY_CAP, (w) => w.resetAt <= this.clock.now());

  constructor(private readonly clock: Clock) {}

  private key(b: ThrottleBucket): string {
    return `${b.name}|${b.limit}|${b.windowSeconds}|${b.user ? `${b.user.tenantId}:${b.user.objectId}` : '*'}|${b.subject}`;
  }

  private current(b: ThrottleBucket): Window | undefined {
    const w = this.windows.get(this.key(b));
    if (w && w.resetAt <= this.clock.now()) {
      this.windows.delete(this.key(b));
      return undefined;
    }
    return w;
  }

  async check(buckets: readonly ThrottleBucket[]): Promise<ThrottleVerdict> {
    return this.verdict(buckets);
  }

  private verdict(buckets: readonly ThrottleBucket[]): ThrottleVerdict {
    const now = this.clock.now();
    let wait = 0;
    let first: string | undefined;
    for (const b of buckets) {
      const w = this.current(b);
      const counted = b.distinct !== undefined && w?.members?.has(b.distinct) === true;
      if (w && !counted && w.count >= b.limit) {
        wait = Math.max(wait, w.resetAt - now, 1);
        first ??= b.name;
      }
    }
    return first !== undefined ? { ok: false, retryAfterMs: wait, bucket: first } : { ok: true };
  }

  private add(buckets: readonly ThrottleBucket[]): void {
    const now = this.clock.now();
    for (const b of buckets) {
      let w = this.current(b);
      if (!w) this.windows.set(this.key(b), (w = { count: 0, resetAt: now + b.windowSeconds * 1000 }));
      if (b.distinct !== undefined) {
        w.members ??= new Set();
        if (w.members.has(b.distinct)) continue;
        w.members.add(b.distinct);
      }
      w.count += 1;
    }
  }

  async take(buckets: readonly ThrottleBucket[]): Promise<ThrottleVerdict> {
    // Check and consume in one synchronous step: no other take can slip in between.
    const verdict = this.verdict(buckets);
    if (verdict.ok) this.add(buckets);
    return verdict;
  }

  async reset(buckets: readonly ThrottleBucket[]): Promise<void> {
    for (const b of buckets) this.windows.delete(this.key(b));
  }
}
