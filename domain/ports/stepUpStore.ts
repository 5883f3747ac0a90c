import type { UserRef } from '../model/user';

/** Per-user facts that decide whether a security-info change may go ahead (R31). */
export type StepUpFlag = 'hadMethods' | 'prefilled';

/** One live step-up proof: when, and of which of the user's methods (none for a passed bootstrap). */
export interface StepUpRecord {
  readonly at: number;
  /** The proven method's id (the method store's id, not a channel choice); absent for a bootstrap. */
  readonly methodId?: string;
}

/**
 * R31: the step-up is bound to the user, not to a conversation or a page: a proof of an existing confirmed method
 * (or a passed bootstrap) is recorded here for the user and is valid on every surface for `windowSeconds`.
 * Also keeps the session-only bootstrap hold (methods registered then are not usable for a reset or unlock until
 * it ends) and two lasting flags: the user once had a confirmed method (never a session-only bootstrap again) and
 * the directory contacts were pre-filled once. Shared by all instances (Redis), keys under the user's hash tag.
 */
export interface StepUpStore {
  /**
   * The user proved method `methodId` (none: passed the bootstrap) at `at`; forgotten after `windowSeconds`. Added to
   * the user's other live proofs in one atomic step (an earlier proof of the same method is replaced, proofs older
   * than the window dropped): two surfaces proving two methods at once both count, never one overwriting the other.
   */
  recordProof(user: UserRef, at: number, windowSeconds: number, methodId?: string): Promise<void>;
  /** The user's proofs recorded within the window (oldest first; the caller compares their age with its clock). */
  proofs(user: UserRef): Promise<readonly StepUpRecord[]>;
  /** Epoch ms of the user's latest live proof, or null. */
  lastProof(user: UserRef): Promise<number | null>;
  /** Start the session-only bootstrap hold, ending at `until` (epoch ms). */
  startHold(user: UserRef, until: number): Promise<void>;
  /** Epoch ms until which the user's methods are on hold, or null. */
  holdUntil(user: UserRef): Promise<number | null>;
  setFlag(user: UserRef, flag: StepUpFlag): Promise<void>;
  hasFlag(user: UserRef, flag: StepUpFlag): Promise<boolean>;
  /** Forget the live proofs (tests, sign-out). */
  clearProof(user: UserRef): Promise<void>;
}
