import { randomUUID } from 'node:crypto';
import { userKey, type UserRef } from '../../domain/model/user';
import type { Clock } from '../../domain/ports/clock';
import type { RecoveryCounter } from '../../domain/ports/recoveryCounter';
import { BoundedMap } from './boundedMap';

interface Completion {
  readonly at: number;
  readonly id: string;
}

/**
 * In-memory reset/unlock counter over a sliding window (tests, embedded mode; C6). MemoryGrantStore reserves and
 * releases slots here when it claims and settles a grant, as the Redis grant script does in the same sorted set.
 */
export class MemoryRecoveryCounter implements RecoveryCounter {
  private readonly times = new BoundedMap<string, Completion[]>();

  constructor(private readonly clock: Clock) {}

  private inWindow(user: UserRef, windowMs: number): Completion[] {
    const now = this.clock.now();
    const list = (this.times.get(userKey(user)) ?? []).filter((c) => c.at > now - windowMs);
    this.times.set(userKey(user), list);
    return list;
  }

  async recent(user: UserRef, windowMs: number): Promise<readonly number[]> {
    return this.inWindow(user, windowMs)
      .map((c) => c.at)
      .sort((a, b) => a - b);
  }

  async record(user: UserRef, windowMs: number): Promise<number> {
    const list = this.inWindow(user, windowMs);
    list.push({ at: this.clock.now(), id: randomUUID() });
    return list.length;
  }

  /** C6, synchronously (atomic with the grant claim): null = reserved as `id`; else the completions in the window. */
  reserve(user: UserRef, id: string, slot: { readonly max: number; readonly windowMs: number }): readonly number[] | null {
    const list = this.inWindow(user, slot.windowMs);
    if (list.length >= slot.max) return list.map((c) => c.at).sort((a, b) => a - b);
    list.push({ at: this.clock.now(), id });
    return null;
  }

  /** Gives a reserved slot back (the write it was for did not happen). */
  release(user: UserRef, id: string): void {
    const list = this.times.get(userKey(user));
    if (list) this.times.set(userKey(user), list.filter((c) => c.id !== id));
  }
}
