/** Time source. Injected everywhere so tests use a fixed clock; never call Date.now() in domain code. */
export interface Clock {
  /** Milliseconds since the epoch, UTC. */
  now(): number;
}

/** Cryptographically strong randomness (R5). The adapter uses node:crypto; tests may seed a fake. */
export interface RandomSource {
  /** Uniform integer in [min, max). */
  int(min: number, max: number): number;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
}
