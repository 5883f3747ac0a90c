import type { Result } from '../errors';
import type { CodeChannel, MethodKind } from '../model/methods';
import type { UserRef } from '../model/user';
import type { FlowStep } from '../ports/flowStore';
import type { GrantTerms } from '../ports/grantStore';
import type { FlowRecord } from './stateMachine';

/** One registered method as the verification flow needs to see it. Never carries a secret or a full number. */
export interface RegisteredMethod {
  readonly id: string;
  readonly kind: MethodKind;
  /** Epoch ms when the user confirmed it; null = pre-filled from the directory and not yet confirmed. */
  readonly confirmedAt: number | null;
  /** Masked destination for display (phone: last 2 digits; e-mail: first letter + domain). */
  readonly maskedDestination?: string;
  /** Stable hash of the phone number, so SMS, voice and office phone to one number count as one method (R4). */
  readonly phoneKey?: string;
}

/** Lists a user's registered methods (implemented over the method store at integration time). */
export interface RegisteredMethodsReader {
  list(user: UserRef): Promise<readonly RegisteredMethod[]>;
  /** R31: when the user's methods become usable after a session-only bootstrap (epoch ms), or null: no hold. */
  heldUntil?(user: UserRef): Promise<number | null>;
}

/** The flow a challenge or proof belongs to (for correlation and for drawing questions once per flow). */
export interface ProofContext {
  readonly flowId: string;
  readonly correlationId: string;
  readonly locale: 'en' | 'nl';
  /**
   * F16: the flow step of an accepted proof. A prover that consumes a one-time code takes it in the same atomic step
   * and reports the new record in {@link ProofAccepted}; otherwise the caller advances the flow itself.
   */
  readonly onAccept?: FlowStep;
  /**
   * With `onAccept`: the step verifies the flow. A prover that can issues the flow's grant in that same atomic step
   * and reports it in {@link ProofAccepted} (issue 15: one script for step used + flow verified + grant).
   */
  readonly issueGrant?: GrantTerms;
  /** What {@link MethodProver.preload} read for this response, together with the flow (issue 15: one round trip). */
  readonly preloaded?: ProofMaterial;
  /**
   * Issue 15: the flow step of a challenge (to "code sent"). A prover that stores a one-time code takes it in the
   * code's own atomic write and calls `taken` with the new record; otherwise the caller advances the flow itself.
   */
  readonly onChallenge?: ChallengeStep;
}

/** A flow step taken with a challenge's write; `taken` is told the record the store wrote. */
export interface ChallengeStep {
  readonly step: FlowStep;
  readonly taken: (advanced: FlowRecord) => void;
}

/** Read ahead for one response, before the flow says which method is asked. Holds secrets: never stored or logged. */
export interface ProofMaterial {
  readonly forProver: unknown;
}

/**
 * An accepted proof; `advanced`: the flow after `ctx.onAccept`, when the prover took that step atomically (F16);
 * `grant`: the grant it issued in that step (`ctx.issueGrant`).
 */
export interface ProofAccepted {
  readonly advanced?: FlowRecord;
  readonly grant?: { readonly issuedAt: number; readonly expiresAt: number };
}

/** What the user is asked to do after choosing a method. */
export type Challenge =
  /** `channel`: how the code travels (a voice call is announced as a call, not as a message). */
  | { readonly kind: 'code_sent'; readonly expiresAt: number; readonly maskedDestination: string; readonly channel?: CodeChannel }
  | { readonly kind: 'enter_totp' }
  | { readonly kind: 'answer_questions'; readonly questionIds: readonly string[] }
  | { readonly kind: 'enter_recovery_code' };

export type ChallengeRefusal = 'throttled' | 'destination_refused' | 'send_failed' | 'method_unavailable';

/** The user's answer to a challenge. Passed straight through to the prover; never stored or logged. */
export type ProofResponse =
  | { readonly kind: 'code'; readonly code: string }
  | { readonly kind: 'totp'; readonly code: string }
  | { readonly kind: 'answers'; readonly answers: Readonly<Record<string, string>> }
  | { readonly kind: 'recoveryCode'; readonly code: string };

/**
 * `wrong` counts toward the R9 block; the others do not (the code died or was never there: ask for a new one).
 */
export type ProofRefusal = 'wrong' | 'expired' | 'too_many_tries' | 'no_code';

/**
 * Challenges and checks one method (one-time codes, TOTP, security questions, recovery codes).
 * Implemented over the code/method services at integration time; the state machine only calls this port.
 * Unexpected failures (Redis down, provider down) throw SsprError.
 */
export interface MethodProver {
  challenge(user: UserRef, method: RegisteredMethod, ctx: ProofContext): Promise<Result<Challenge, ChallengeRefusal>>;
  /**
   * Optional: reads what checking `response` will need, issued by the caller together with its flow read (one round
   * trip with a pipelining client, issue 15); handed back to {@link prove} as `ctx.preloaded`.
   */
  preload?(user: UserRef, response: ProofResponse): Promise<ProofMaterial | undefined>;
  prove(
    user: UserRef,
    method: RegisteredMethod,
    ctx: ProofContext,
    response: ProofResponse,
  ): Promise<Result<ProofAccepted | void, ProofRefusal>>;
}
