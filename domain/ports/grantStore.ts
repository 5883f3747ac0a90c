import type { UserRef } from '../model/user';
import type { RecoveryGoal } from '../verification/stateMachine';

/** A verified grant (R16): one per flow, single use, bound to user, conversation and flow. */
export interface Grant {
  readonly flowId: string;
  readonly user: UserRef;
  readonly conversationId: string;
  readonly goal: RecoveryGoal;
  readonly issuedAt: number;
  /** min(issuedAt + lifetime, flow start + maxFlow). */
  readonly expiresAt: number;
}

export type GrantRefusal = 'no_grant' | 'expired' | 'consumed' | 'wrong_conversation' | 'in_progress';

/** How a claimed write ended; `released` gives the grant back for another try (F13). */
export type GrantSettlement = 'consumed' | 'released' | 'spent';

/**
 * C6: the user's reset/unlock cap, checked and one slot of it reserved in the same atomic step as the claim, so two
 * grants written at once cannot both pass a cap with one slot left. The rule (how many, how long) is the caller's.
 */
export interface RecoverySlot {
  readonly max: number;
  readonly windowMs: number;
}

/**
 * What issuing a flow's grant takes (R16), for a store that issues it in the same atomic step as its own write (an
 * accepted TOTP: step used, flow verified and grant issued together — issue 15). Lifetimes from policy.grant.
 */
export interface GrantTerms {
  readonly conversationId: string;
  readonly goal: RecoveryGoal;
  readonly flowStartedAt: number;
  readonly lifetimeMs: number;
  readonly maxFlowMs: number;
}

/** A claim: the grant for one write, or a refusal; `recovery_cap` carries the completions in the window (epoch ms). */
export type GrantClaim =
  | { readonly ok: true; readonly value: { readonly grant: Grant; readonly claimedAt: number } }
  | { readonly ok: false; readonly reason: GrantRefusal }
  | { readonly ok: false; readonly reason: 'recovery_cap'; readonly completions: readonly number[] };

/**
 * Grants and their R27 idempotency records. `claim` is one atomic step (Lua in Redis): it checks binding and
 * expiry, moves the grant from `ready` to `writing` and stores the idempotency key before any directory call,
 * so concurrent claims from several processes get exactly one `ok`.
 * Expiry decisions use the store's time source (Redis TIME in production, F17).
 */
export interface GrantStore {
  /** Issue the flow's grant; issuing twice for one flow returns the first grant (idempotent). */
  issue(input: {
    readonly user: UserRef;
    readonly conversationId: string;
    readonly flowId: string;
    readonly goal: RecoveryGoal;
    readonly flowStartedAt: number;
  }): Promise<Grant>;
  /**
   * Claim the grant for one directory write. `attemptId` identifies the write (idempotency key value).
   * A grant for another goal, flow or user answers `no_grant`; another conversation `wrong_conversation`.
   * With `slot` (C6), a usable grant is claimed only when the user has fewer than `slot.max` recoveries in the window,
   * and the claim reserves one (counted as a recovery at the claim's time) — else `recovery_cap`, nothing changed.
   */
  claim(user: UserRef, conversationId: string, flowId: string, goal: RecoveryGoal, attemptId: string, slot?: RecoverySlot): Promise<GrantClaim>;
  /**
   * End a claimed write. Only the holder of `attemptId` can settle it. `consumed` keeps the C6 slot its claim reserved
   * (the recovery happened); `released` and `spent` give it back (nothing was written).
   */
  settle(user: UserRef, flowId: string, attemptId: string, outcome: GrantSettlement): Promise<void>;
  /** The grant's current state, for "is my reset still pending?" and tests. */
  state(user: UserRef, flowId: string): Promise<'ready' | 'writing' | 'consumed' | 'spent' | null>;
}
