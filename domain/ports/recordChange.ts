import type { StepUpFlag } from './stepUpStore';

/**
 * Security-info writes that an accepted registration proof (a registration code, an authenticator's first code) takes
 * with it, in the same atomic step as the proof is consumed (F16's rule, for security info; issue 15: one script in
 * Redis). A process that dies half-way leaves all of it or none: never a consumed code with the method still
 * pending, or an active method without the flag or proof that goes with it.
 */
export interface RecordChange {
  /** The method that becomes active (`confirmedAt` = at), only while it still exists (never recreated). */
  readonly confirm?: { readonly methodId: string; readonly at: number };
  /** Lasting flags set (R31 `hadMethods`: the account once had a confirmed method). */
  readonly flags?: readonly StepUpFlag[];
  /** R31: the proof this acceptance is for the user (a passed bootstrap), valid `windowSeconds` from `at`. */
  readonly proof?: { readonly at: number; readonly windowSeconds: number };
  /** Methods removed with it (the method a change replaces, the authenticators a new one replaces). */
  readonly remove?: readonly string[];
}
