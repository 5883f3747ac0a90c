import { inAnyGroup } from '../model/groups';
import type { UserRef } from '../model/user';
import type { DirectoryUser } from '../ports/directory';
import type { RegisteredMethod } from '../verification/methodProver';
import { nextChoices, requiredMethodCount, usableMethods } from '../verification/methodRules';
import type { FlowGoal, FlowRecord } from '../verification/stateMachine';
import { judgeRecoveryCap, recoveryCapWindowMs } from '../policy/recoveryCap';
import { toChoices } from './flowAccess';
import type { MethodChoice, RecoveryDeps } from './recoveryDeps';
import { randomHex } from './recoveryDeps';

/**
 * The coarse answer, the same for every account-related reason — for surfaces where a caller names *another* user
 * (R17). The caller's own chat gets the precise `auditReason` instead (R17 revised: the caller is signed in and can
 * act only on themself, R2), with the next step as a button; see dialogs/recoveryJourney.ts.
 */
export type StartPublicReason = 'cannot_continue' | 'temporarily_unavailable' | 'unlock_not_supported';

/** The precise reason: audit log only (R17), never shown. */
export type StartAuditReason =
  | 'user_unknown'
  | 'account_disabled'
  | 'out_of_scope'
  | 'not_registered'
  | 'insufficient_methods'
  | 'blocked'
  | 'throttled'
  | 'privileged_helpdesk'
  | 'directory_unreachable'
  | 'unlock_not_supported'
  /** Unlock asked for an account that is not locked: nothing to do (did they mean reset?). */
  | 'not_locked'
  /** R31: methods registered with only the Teams session are usable from `retryAt` (the hold). */
  | 'held';

/** The precise reason, told to the caller about their own account (R17 revised) and audited. */
export type PrecheckReason = StartAuditReason;

export type StartRecoveryAnswer =
  | {
      readonly ok: true;
      readonly flow: FlowRecord;
      readonly choices: readonly MethodChoice[];
    }
  | {
      readonly ok: false;
      readonly publicReason: StartPublicReason;
      readonly auditReason: StartAuditReason;
      /** Blocked (R9), over the reset/unlock cap (C6) or held (R31): epoch ms when it may be tried again. */
      readonly retryAt?: number;
    };

/** "Check my account": what a reset and an unlock would meet right now, without starting either. */
export interface AccountCheck {
  readonly reset: PrecheckReason | 'ready';
  readonly unlock: PrecheckReason | 'ready';
  /** Confirmed methods the policy lets this user use, and how many a reset needs. */
  readonly usableMethods: number;
  readonly requiredMethods: 1 | 2;
  /** R3: the directory reports admin rights (more proof, or the helpdesk, per policy). */
  readonly privileged: boolean;
  /** null: unknown (the directory did not answer or cannot lock accounts). */
  readonly locked: boolean | null;
  readonly retryAt?: number;
}

export interface StartRecoveryInput {
  /** The caller, resolved by the edge from the Teams identity (R2). Never a typed name. */
  readonly user: UserRef;
  readonly conversationId: string;
  /** `verify` = caller verification for the helpdesk: a flow of its own that issues no grant (R38). */
  readonly goal: FlowGoal;
  readonly correlationId: string;
}

interface Facts {
  readonly found: DirectoryUser | null | 'unreachable';
  readonly methods: readonly RegisteredMethod[];
  readonly blockedUntil: number | null;
  /** C6: completions of resets/unlocks inside the policy's window. */
  readonly completions: readonly number[];
  /** R31: the end of a session-only bootstrap's hold, or null. */
  readonly heldUntil: number | null;
}

type Deps = Pick<RecoveryDeps, 'policy' | 'directory' | 'methods' | 'flows' | 'block' | 'counter' | 'audit' | 'clock' | 'random'>;

/**
 * The SSPR doctor: before any code is sent, checks everything that would make the reset or unlock fail —
 * directory reachable, unlock supported, account known and enabled, self-service scope, privileged route (R3),
 * registration sufficient for the policy (R4), R9 block, reset/unlock cap (C6) — and either starts a verification flow
 * (`ready` with the method choices) or refuses. Every call performs the same lookups, in parallel, whatever
 * the outcome, so refusals cannot be told apart by timing (R17). Redis failures throw SsprError (R22).
 */
const START_AUDIT: Readonly<Record<FlowGoal, string>> = {
  reset: 'recovery.reset.start',
  unlock: 'recovery.unlock.start',
  verify: 'recovery.verify.start',
};

export class StartRecovery {
  constructor(private readonly deps: Deps) {}

  async execute(input: StartRecoveryInput): Promise<StartRecoveryAnswer> {
    const { user, goal } = input;
    const { policy } = this.deps;
    const facts = await this.lookUp(user);
    const verdict = this.judge(goal, facts);
    if (verdict.ok === false) {
      await this.deps.audit.record({
        type: START_AUDIT[goal],
        correlationId: input.correlationId,
        user,
        outcome: 'refused',
        reason: verdict.auditReason,
      });
      return verdict;
    }
    const { found, choices } = verdict;

    const now = this.deps.clock.now();
    const flow: FlowRecord = {
      flowId: randomHex(this.deps.random, 16),
      user: { tenantId: user.tenantId, objectId: user.objectId },
      conversationId: input.conversationId,
      goal,
      startedAt: now,
      expiresAt: now + policy.grant.maxFlowSeconds * 1000,
      required: requiredMethodCount(policy, found.privileged),
      privileged: found.privileged,
      state: { name: 'choosingMethod', proved: [] },
      version: 0,
    };
    await this.deps.flows.create(flow);
    await this.deps.audit.record({
      type: START_AUDIT[goal],
      correlationId: input.correlationId,
      user,
      outcome: 'success',
      detail: { required: flow.required, privileged: found.privileged },
    });
    return { ok: true, flow, choices: toChoices(choices) };
  }

  /**
   * "Check my account": the same lookups and rules as a start, for both goals, without creating a flow or sending
   * anything. Audited with the precise findings (R17 revised).
   */
  async check(input: { readonly user: UserRef; readonly correlationId: string }): Promise<AccountCheck> {
    const facts = await this.lookUp(input.user);
    const reset = this.judge('reset', facts);
    const unlock = this.judge('unlock', facts);
    const found = facts.found === 'unreachable' ? null : facts.found;
    const privileged = found?.privileged ?? false;
    const answer: AccountCheck = {
      reset: reset.ok ? 'ready' : reset.auditReason,
      unlock: unlock.ok ? 'ready' : unlock.auditReason,
      usableMethods: usableMethods(facts.methods, this.deps.policy, privileged).length,
      requiredMethods: requiredMethodCount(this.deps.policy, privileged),
      privileged,
      locked: found ? found.locked : null,
      ...(facts.blockedUntil !== null
        ? { retryAt: facts.blockedUntil }
        : !reset.ok && reset.retryAt !== undefined
          ? { retryAt: reset.retryAt }
          : {}),
    };
    await this.deps.audit.record({
      type: 'recovery.check',
      correlationId: input.correlationId,
      user: input.user,
      outcome: 'success',
      detail: { reset: answer.reset, unlock: answer.unlock },
    });
    return answer;
  }

  /**
   * Why this account cannot use self-service whatever it registers — disabled, out of the policy's scope, or a
   * privileged account the helpdesk handles — or null. The judge's own rules (one rule book) on the directory's facts
   * alone: no method, block, hold or cap is read, so the welcome can ask it before inviting a user to register without
   * a Redis round trip. Not audited: it starts nothing and tells only the account's own user.
   */
  async helpdeskOnly(user: UserRef): Promise<'account_disabled' | 'out_of_scope' | 'privileged_helpdesk' | null> {
    const found = await this.deps.directory.findUser(user).then(
      (u): DirectoryUser | null | 'unreachable' => u,
      (): 'unreachable' => 'unreachable',
    );
    const verdict = this.judge('reset', { found, methods: [], blockedUntil: null, completions: [], heldUntil: null });
    if (verdict.ok) return null;
    const reason = verdict.auditReason;
    return reason === 'account_disabled' || reason === 'out_of_scope' || reason === 'privileged_helpdesk' ? reason : null;
  }

  /** Every call performs the same lookups, in parallel, whatever the outcome (R17 timing). */
  private async lookUp(user: UserRef): Promise<Facts> {
    const [found, methods, blockedUntil, completions, heldUntil] = await Promise.all([
      this.deps.directory.findUser(user).then(
        (u): DirectoryUser | null | 'unreachable' => u,
        // Any directory failure (timeout, denied, down) means we cannot help now; the detail is in the audit reason.
        (): 'unreachable' => 'unreachable',
      ),
      this.deps.methods.list(user),
      this.deps.block.blockedUntil(user),
      this.deps.counter.recent(user, recoveryCapWindowMs(this.deps.policy.resets)),
      this.deps.methods.heldUntil ? this.deps.methods.heldUntil(user) : Promise.resolve(null),
    ]);
    return { found, methods, blockedUntil, completions, heldUntil };
  }

  /** The rules, in the order a user can act on them: what stands in the way first, and only that. */
  private judge(
    goal: FlowGoal,
    { found, methods, blockedUntil, completions, heldUntil }: Facts,
  ): { ok: true; found: DirectoryUser; choices: RegisteredMethod[] } | Extract<StartRecoveryAnswer, { ok: false }> {
    const { policy, directory } = this.deps;
    const refuse = (publicReason: StartPublicReason, auditReason: StartAuditReason, retryAt?: number) =>
      ({ ok: false, publicReason, auditReason, ...(retryAt !== undefined ? { retryAt } : {}) }) as const;
    if (found === 'unreachable') return refuse('temporarily_unavailable', 'directory_unreachable');
    if (goal === 'unlock' && !directory.capabilities().canUnlock) return refuse('unlock_not_supported', 'unlock_not_supported');
    if (found === null) return refuse('cannot_continue', 'user_unknown');
    if (!found.enabled) return refuse('cannot_continue', 'account_disabled');
    if (policy.scope.mode === 'groups' && !inAnyGroup(found.groups, policy.scope.groups)) {
      return refuse('cannot_continue', 'out_of_scope');
    }
    // Unlock acts only on a locked account (a directory that cannot tell, locked === null, is given the benefit).
    if (goal === 'unlock' && found.locked === false) return refuse('cannot_continue', 'not_locked');
    if (found.privileged && policy.methods.privilegedRoute === 'helpdesk') {
      return refuse('cannot_continue', 'privileged_helpdesk');
    }
    // R31: methods registered with only the Teams session wait out their hold; say until when, not "register".
    if (heldUntil !== null && heldUntil > this.deps.clock.now()) return refuse('cannot_continue', 'held', heldUntil);
    const choices = this.choicesFor(methods, found.privileged);
    if (choices === 'none') return refuse('cannot_continue', 'not_registered');
    if (choices.length === 0) return refuse('cannot_continue', 'insufficient_methods');
    if (blockedUntil !== null) return refuse('cannot_continue', 'blocked', blockedUntil);
    // The reset/unlock cap (C6) counts account changes; caller verification changes nothing (R38).
    if (goal !== 'verify') {
      const cap = judgeRecoveryCap(policy.resets, completions, this.deps.clock.now());
      if (!cap.allowed) return refuse('cannot_continue', 'throttled', cap.retryAt);
    }
    return { ok: true, found, choices };
  }

  private choicesFor(methods: readonly RegisteredMethod[], privileged: boolean): RegisteredMethod[] | 'none' {
    if (methods.every((m) => m.confirmedAt === null)) return 'none';
    const usable = usableMethods(methods, this.deps.policy, privileged);
    return nextChoices(usable, [], requiredMethodCount(this.deps.policy, privileged));
  }
}
