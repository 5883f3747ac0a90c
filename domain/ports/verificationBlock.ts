import type { UserRef } from '../model/user';

/** The R9 counter after a failure was recorded. */
export interface FailureOutcome {
  /** Failures within the window, including this one. */
  readonly failures: number;
  /** Epoch ms until which verification is blocked, or null. */
  readonly blockedUntil: number | null;
}

/**
 * Per-user verification block (R9): `threshold` failed proofs (any method, conversation or process) within
 * `windowMs` block verification for `blockMs` from the last failure. Requesting a new code does not touch it;
 * a successful reset clears it. Shared by all instances (Redis), atomic.
 */
export interface VerificationBlock {
  recordFailure(user: UserRef): Promise<FailureOutcome>;
  /** Epoch ms until which the user is blocked, or null (doctor, "try again at HH:MM"). */
  blockedUntil(user: UserRef): Promise<number | null>;
  /** Forget failures and block (after a successful reset or unlock). */
  clear(user: UserRef): Promise<void>;
}
