import type { Clock } from '../../domain/ports/clock';
import type { UserRef } from '../../domain/model/user';
import type { TotpReplayCache } from '../../domain/ports/totp';
import { BoundedMap } from './boundedMap';

/** In-memory TOTP replay cache on the injected clock. */
export class MemoryTotpReplayCache implements TotpReplayCache {
  private readonly used = new BoundedMap<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlSeconds = 120,
  ) {}

  async claim(user: UserRef, step: number): Promise<boolean> {
    const now = this.clock.now();
    for (const [k, until] of this.used) if (until <= now) this.used.delete(k);
    const k = `${user.tenantId}:${user.objectId}:${step}`;
    if (this.used.has(k)) return false;
    this.used.set(k, now + this.ttlSeconds * 1000);
    return true;
  }
}
