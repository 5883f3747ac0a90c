import { userKey, type UserRef } from '../../domain/model/user';
import type { Clock } from '../../domain/ports/clock';
import type { FailureOutcome, VerificationBlock } from '../../domain/ports/verificationBlock';
import { BoundedMap, DEFAULT_MEMORY_CAP } from './boundedMap';

/** In-memory R9 block (tests, embedded mode); one process only — production uses RedisVerificationBlock. */
export class MemoryVerificationBlock implements VerificationBlock {
  private readonly failures = new BoundedMap<string, number[]>();
  private readonly blocks = new BoundedMap<string, number>(DEFAULT_MEMORY_CAP, (until) => until <= this.clock.now());

  constructor(
    private readonly clock: Clock,
    private readonly settings: { readonly threshold: number; readonly windowMs: number; readonly blockMs: number },
  ) {}

  async recordFailure(user: UserRef): Promise<FailureOutcome> {
    const k = userKey(user);
    const now = this.clock.now();
    const list = (this.failures.get(k) ?? []).filter((t) => t > now - this.settings.windowMs);
    list.push(now);
    this.failures.set(k, list);
    if (list.length >= this.settings.threshold) this.blocks.set(k, now + this.settings.blockMs);
    return { failures: list.length, blockedUntil: await this.blockedUntil(user) };
  }

  async blockedUntil(user: UserRef): Promise<number | null> {
    const until = this.blocks.get(userKey(user));
    return until !== undefined && until > this.clock.now() ? until : null;
  }

  async clear(user: UserRef): Promise<void> {
    this.failures.delete(userKey(user));
    this.blocks.delete(userKey(user));
  }
}
