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

  constructor(private readonly maxWaitMs = 20) {}

  /** Resolves at the next {@link flush}, or after `maxWaitMs` at the latest. */
  next(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      if (!this.timer) {
        this.timer = setTimeout(() => this.flush(), this.maxWaitMs);
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
