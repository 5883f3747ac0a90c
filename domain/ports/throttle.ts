import type { UserRef } from '../model/user';

/**
 * One rate window. `user` puts the counter under the user's hash tag (F20); otherwise `subject` names a shared
 * counter (a destination, a phone prefix). Adapters pseudonymise `subject` before using it in a key.
 */
export interface ThrottleBucket {
  readonly name: string;
  readonly user?: UserRef;
  readonly subject: string;
  readonly limit: number;
  readonly windowSeconds: number;
  /**
   * A bucket of distinct values (R33 pending destinations): a value already counted in the window takes no point,
   * a new one takes one. Adapters pseudonymise the value like a shared subject (no destination in Redis).
   */
  readonly distinct?: string;
}

/** `bucket`: the name of the first full bucket, in the order given; `retryAfterMs`: until the fullest frees a point. */
export type ThrottleVerdict = { ok: true } | { ok: false; retryAfterMs: number; bucket?: string };

/**
 * Send throttles (R10, R30). `take` checks every bucket and consumes a point in each only when all have room;
 * otherwise nothing is consumed and the caller learns when to retry.
 */
export interface SendThrottle {
  take(buckets: readonly ThrottleBucket[]): Promise<ThrottleVerdict>;
  /** Would `take` pass now? Consumes nothing (issue 15: read with other reads, taken later). */
  check(buckets: readonly ThrottleBucket[]): Promise<ThrottleVerdict>;
  /** Forget the counters of a user's buckets (tests, helpdesk reset). */
  reset(buckets: readonly ThrottleBucket[]): Promise<void>;
}
