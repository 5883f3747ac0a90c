import type { Result } from '../errors';
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
   */
  claim(
    user: UserRef,
    conversationId: string,
    flowId: string,
    goal: RecoveryGoal,
    attemptId: string,
  ): Promise<Result<{ readonly grant: Grant; readonly claimedAt: number }, GrantRefusal>>;
  /** End a claimed write. Only the holder of `attemptId` can settle it. */
  settle(user: UserRef, flowId: string, attemptId: string, outcome: GrantSettlement): Promise<void>;
  /** The grant's current state, for "is my reset still pending?" and tests. */
  state(user: UserRef, flowId: string): Promise<'ready' | 'writing' | 'consumed' | 'spent' | null>;
}
