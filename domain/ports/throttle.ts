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
}

/**
 * Send throttles (R10, R30). `take` checks every bucket and consumes a point in each only when all have room;
 * otherwise nothing is consumed and the caller learns when to retry.
 */
export interface SendThrottle {
  take(buckets: readonly ThrottleBucket[]): Promise<{ ok: true } | { ok: false; retryAfterMs: number }>;
  /** Forget the counters of a user's buckets (tests, helpdesk reset). */
  reset(buckets: readonly ThrottleBucket[]): Promise<void>;
}
