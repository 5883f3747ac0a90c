/**
 * Issue 15: background writes that nobody waits for (the insights counters of a turn, the R18 look-ups) ride in the
 * socket write of the turn's own last write instead of costing a round trip of their own. A writer awaits
 * {@link WriteRider.next} right before issuing its command; the turn's last write (RedisStorage's state write, the
 * TurnGuard's lock release) calls {@link WriteRider.flush} in the same tick as it issues its own command, so with
 * ioredis auto-pipelining (one socket write per event-loop turn) everything released leaves together. Writers not
 * released by a turn within `maxWaitMs` (API calls without a turn, a turn that takes long) go on their own then.
 *
 * Only for writes whose delay does not matter to anyone: the rider never delays a turn, only the background write.
 */
export class WriteRider {
  private waiting: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  /**
   * `inScope`: true while the caller runs inside a turn or request that flushes the rider when it ends (the state
   * backend's: the per-turn memo's scope, which the TurnGuard and the pages API open). A writer issued there waits
   * for that flush (at most `scopeMaxWaitMs`, a safety net) instead of `maxWaitMs`, so a turn slowed down by a busy
   * machine still takes its background writes along (issue 15: the count does not depend on the load).
   */
  constructor(
    private readonly maxWaitMs = 20,
    private readonly options: { readonly inScope?: () => boolean; readonly scopeMaxWaitMs?: number } = {},
  ) {}

  /** Resolves at the next {@link flush}, or after `maxWaitMs` (inside a scope: `scopeMaxWaitMs`) at the latest. */
  next(): Promise<void> {
    const wait = this.options.inScope?.() ? (this.options.scopeMaxWaitMs ?? 2_000) : this.maxWaitMs;
    return new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      const at = Date.now() + wait;
      if (at < this.timerAt) {
        if (this.timer) clearTimeout(this.timer);
        this.timerAt = at;
        this.timer = setTimeout(() => this.flush(), wait);
        this.timer.unref();
      }
    });
  }

  /**
   * Releases every waiting writer. Call it in the same synchronous step as issuing the write the others should ride
   * with: their commands are issued in the microtasks that follow, before the client's batch of this tick is sent.
   */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.timerAt = Infinity;
    if (this.waiting.length === 0) return;
    const released = this.waiting;
    this.waiting = [];
    for (const r of released) r();
  }

  /** Writers waiting for a ride (tests). */
  get pending(): number {
    return this.waiting.length;
  }
}
