import { SsprError, fail, ok } from '../../domain/errors';
import { userKey, type UserRef } from '../../domain/model/user';
import type { Clock } from '../../domain/ports/clock';
import type { Grant, GrantClaim, GrantSettlement, GrantStore, RecoverySlot } from '../../domain/ports/grantStore';
import type { RecoveryGoal } from '../../domain/verification/stateMachine';
import { BoundedMap } from './boundedMap';
import type { MemoryRecoveryCounter } from './memoryRecoveryCounter';

type GrantState = 'ready' | 'writing' | 'consumed' | 'spent';
interface Entry {
  grant: Grant;
  state: GrantState;
  attempt: string | null;
}

/** In-memory GrantStore (tests, embedded mode). Claims are atomic because JS runs them without interleaving. */
export class MemoryGrantStore implements GrantStore {
  private readonly grants = new BoundedMap<string, Entry>();
  /** The R27 idempotency records, `attemptId:state`, by grant. */
  readonly idempotency = new BoundedMap<string, string>();

  constructor(
    private readonly clock: Clock,
    private readonly times: { readonly lifetimeMs: number; readonly maxFlowMs: number },
    /** Where C6 slots are reserved with a claim (the recovery counter of the same backend). */
    private readonly counter?: MemoryRecoveryCounter,
  ) {}

  private k(user: UserRef, flowId: string): string {
    return `${userKey(user)}|${flowId}`;
  }

  async issue(input: {
    user: UserRef;
    conversationId: string;
    flowId: string;
    goal: RecoveryGoal;
    flowStartedAt: number;
  }): Promise<Grant> {
    return this.issueNow(input);
  }

  /** `issue`, synchronously (the memory TOTP acceptance issues a grant in the same step as its other writes). */
  issueNow(input: { user: UserRef; conversationId: string; flowId: string; goal: RecoveryGoal; flowStartedAt: number }): Grant {
    const key = this.k(input.user, input.flowId);
    const existing = this.grants.get(key);
    if (existing) return existing.grant;
    const now = this.clock.now();
    const grant: Grant = {
      flowId: input.flowId,
      user: { tenantId: input.user.tenantId, objectId: input.user.objectId },
      conversationId: input.conversationId,
      goal: input.goal,
      issuedAt: now,
      expiresAt: Math.min(now + this.times.lifetimeMs, input.flowStartedAt + this.times.maxFlowMs),
    };
    this.grants.set(key, { grant, state: 'ready', attempt: null });
    return grant;
  }

  async claim(user: UserRef, conversationId: string, flowId: string, goal: RecoveryGoal, attemptId: string, slot?: RecoverySlot): Promise<GrantClaim> {
    const e = this.grants.get(this.k(user, flowId));
    if (!e || e.grant.goal !== goal) return fail('no_grant');
    if (e.grant.conversationId !== conversationId) return fail('wrong_conversation');
    if (e.state === 'writing') return fail('in_progress');
    if (e.state !== 'ready') return fail('consumed');
    const now = this.clock.now();
    if (now >= e.grant.expiresAt) return fail('expired');
    if (slot) {
      if (!this.counter) throw new SsprError('internal', 'a C6 slot needs the recovery counter');
      const full = this.counter.reserve(user, attemptId, slot);
      if (full) return { ok: false, reason: 'recovery_cap', completions: full };
    }
    e.state = 'writing';
    e.attempt = attemptId;
    this.idempotency.set(this.k(user, flowId), `${attemptId}:writing`);
    return ok({ grant: e.grant, claimedAt: now });
  }

  async settle(user: UserRef, flowId: string, attemptId: string, outcome: GrantSettlement): Promise<void> {
    const e = this.grants.get(this.k(user, flowId));
    if (!e || e.state !== 'writing' || e.attempt !== attemptId) return;
    if (outcome !== 'consumed') this.counter?.release(user, attemptId);
    e.state = outcome === 'released' ? 'ready' : outcome;
    if (outcome === 'released') e.attempt = null;
    this.idempotency.set(this.k(user, flowId), `${attemptId}:${outcome}`);
  }

  async state(user: UserRef, flowId: string): Promise<GrantState | null> {
    return this.grants.get(this.k(user, flowId))?.state ?? null;
  }
}
