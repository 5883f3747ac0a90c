import { userKey, type UserRef } from '../../domain/model/user';
import type { Clock } from '../../domain/ports/clock';
import type { RecoveryCounter } from '../../domain/ports/recoveryCounter';

const DAY_MS = 24 * 60 * 60 * 1000;

/** In-memory daily reset/unlock counter (tests, embedded mode). */
export class MemoryRecoveryCounter implements RecoveryCounter {
  private readonly times = new Map<string, number[]>();

  constructor(private readonly clock: Clock) {}

  private recent(user: UserRef): number[] {
    const now = this.clock.now();
    const list = (this.times.get(userKey(user)) ?? []).filter((t) => t > now - DAY_MS);
    this.times.set(userKey(user), list);
    return list;
  }

  async countToday(user: UserRef): Promise<number> {
    return this.recent(user).length;
  }

  async record(user: UserRef): Promise<number> {
    const list = this.recent(user);
    list.push(this.clock.now());
    return list.length;
  }
}
