import type { HourlyCounter } from '../senders/phoneGuard';

/** In-memory hourly counters (R30 baseline), for tests and the embedded default. */
export class MemoryHourlyCounter implements HourlyCounter {
  private readonly counts = new Map<number, number>();

  async increment(hourIndex: number): Promise<number> {
    const n = (this.counts.get(hourIndex) ?? 0) + 1;
    this.counts.set(hourIndex, n);
    return n;
  }

  async read(hourIndexes: readonly number[]): Promise<readonly number[]> {
    return hourIndexes.map((h) => this.counts.get(h) ?? 0);
  }

  /** Test helper: seed a past hour's count (baseline). */
  set(hourIndex: number, count: number): void {
    this.counts.set(hourIndex, count);
  }
}
