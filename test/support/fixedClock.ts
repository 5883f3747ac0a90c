import type { Clock, RandomSource } from '../../domain/ports/clock';

/** A clock that moves only when told to. */
export class FixedClock implements Clock {
  constructor(private t: number = Date.UTC(2026, 10, 25, 9, 0, 0)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}

/** Deterministic random source (mulberry32) for domain tests. */
export class SeededRandom implements RandomSource {
  constructor(private seed = 42) {}
  private next(): number {
    let t = (this.seed += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min));
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(0, 256);
    return b;
  }
}
