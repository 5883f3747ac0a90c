/**
 * A small counting semaphore bounding concurrent expensive work (argon2 memory). FIFO; a finishing task hands its slot
 * straight to the oldest waiter, so a caller arriving in between can never push the count above the limit.
 */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      // The slot is handed over by release(): `active` already counts this task when it wakes.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  /** Tasks waiting for a slot (tests, metrics). */
  get queued(): number {
    return this.waiting.length;
  }

  /** Currently running tasks (tests, metrics). */
  get running(): number {
    return this.active;
  }
}
