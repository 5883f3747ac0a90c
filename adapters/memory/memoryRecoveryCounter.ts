import { userKey, type UserRef } from '../../domain/model/user';
import type { Clock } from '../../domain/ports/clock';
import type { RecoveryCounter } from '../../domain/ports/recoveryCounter';
import { BoundedMap } from './boundedMap';

/** In-memory reset/unlock counter over a sliding window (tests, embedded mode; C6). */
export class MemoryRecoveryCounter implements RecoveryCounter {
  private readonly times = new BoundedMap<string, number[]>();

  constructor(private readonly clock: Clock) {}

  private inWindow(user: UserRef, windowMs: number): number[] {
    const now = this.clock.now();
    const list = (this.times.get(userKey(user)) ?? []).filter((t) => t > now - windowMs);
    this.times.set(userKey(user), list);
    return list;
  }

  async recent(user: UserRef, windowMs: number): Promise<readonly number[]> {
    return [...this.inWindow(user, windowMs)].sort((a, b) => a - b);
  }

  async record(user: UserRef, windowMs: number): Promise<number> {
    const list = this.inWindow(user, windowMs);
    list.push(this.clock.now());
    return list.length;
  }
}
