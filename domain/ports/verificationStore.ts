import type { UserRef } from '../model/user';
import type { FlowStep } from './flowStore';
import type { RecordChange } from './recordChange';

/** Identifies the one live code of a user for a purpose and method (R11). */
export interface CodeSlot {
  readonly user: UserRef;
  readonly purpose: 'register' | 'verify';
  readonly methodId: string;
}

/** `flow_moved`: only with a {@link FlowStep} — the code matched but the flow is no longer at the step's version; nothing was consumed. */
export type CodeAttemptOutcome = 'ok' | 'invalid' | 'expired' | 'too_many_tries' | 'no_code' | 'flow_moved';

/**
 * One-time code storage (R5–R8, R11). Implementations keep only a keyed HMAC of the code with its key id, set the
 * expiry in the same command that creates the record, decide expiry by the store's own time (F17), count a try
 * before comparing, compare in constant time and consume atomically.
 */
export interface VerificationStore {
  /**
   * Create the live code for a slot, replacing any previous one. Returns the expiry (epoch ms, store time).
   * Issue 15 (F16's pattern for sends): with `step`, the flow moves to "code sent" in the same atomic write; when
   * the flow's version moved nothing is written and it throws SsprError('state_conflict') (turns are serialised,
   * R25: unexpected, as for any flow advance).
   */
  create(slot: CodeSlot, code: string, lifetimeSeconds: number, step?: FlowStep): Promise<{ expiresAt: number }>;
  /**
   * One submission: count the try, then compare; on a match consume the code. After `maxTries` wrong tries the
   * code is dead and every further submission is 'too_many_tries' even if it is right.
   *
   * F16: with `step`, a match consumes the code AND advances the flow in one atomic operation (one Lua script in
   * Redis, one synchronous step in memory): both happen or neither ('flow_moved' when the flow's version moved).
   * Likewise `change` (a registration code, issue 15): a match consumes the code AND makes the security-info change
   * in the same atomic operation.
   */
  attempt(slot: CodeSlot, code: string, maxTries: number, step?: FlowStep, change?: RecordChange): Promise<CodeAttemptOutcome>;
  /** Drop the live code of a slot (flow cancelled). */
  discard(slot: CodeSlot): Promise<void>;
}
