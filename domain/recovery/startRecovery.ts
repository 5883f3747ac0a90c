import type { UserRef } from '../model/user';
import type { DirectoryUser } from '../ports/directory';
import type { RegisteredMethod } from '../verification/methodProver';
import { nextChoices, requiredMethodCount, usableMethods } from '../verification/methodRules';
import type { FlowGoal, FlowRecord } from '../verification/stateMachine';
import { toChoices } from './flowAccess';
import type { MethodChoice, RecoveryDeps } from './recoveryDeps';
import { randomHex } from './recoveryDeps';

/**
 * What the bot may say. `cannot_continue` is deliberately one answer for every reason that is about the account
 * (R17): unknown, disabled, out of scope, not (sufficiently) registered, blocked, daily cap reached, privileged
 * routed to the helpdesk. Its text names all the things the user can do (register, try later, helpdesk), so the
 * user still gets plain guidance without learning which one applies. `temporarily_unavailable` (directory down)
 * and `unlock_not_supported` (directory capability) are the same for every user and so tell nothing.
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
  | 'unlock_not_supported';

export type StartRecoveryAnswer =
  | {
      readonly ok: true;
      readonly flow: FlowRecord;
      readonly choices: readonly MethodChoice[];
    }
  | { readonly ok: false; readonly publicReason: StartPublicReason; readonly auditReason: StartAuditReason };

export interface StartRecoveryInput {
  /** The caller, resolved by the edge from the Teams identity (R2). Never a typed name. */
  readonly user: UserRef;
  readonly conversationId: string;
  /** `verify` = caller verification for the helpdesk: a flow of its own that issues no grant (R38). */
  readonly goal: FlowGoal;
  readonly correlationId: string;
}

type Deps = Pick<RecoveryDeps, 'policy' | 'directory' | 'methods' | 'flows' | 'block' | 'counter' | 'audit' | 'clock' | 'random'>;

/**
 * The SSPR doctor: before any code is sent, checks everything that would make the reset or unlock fail —
 * directory reachable, unlock supported, account known and enabled, self-service scope, privileged route (R3),
 * registration sufficient for the policy (R4), R9 block, daily cap — and either starts a verification flow
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
    const { policy, directory } = this.deps;
    const [found, methods, blockedUntil, todayCount] = await Promise.all([
      directory.findUser(user).then(
        (u): DirectoryUser | null | 'unreachable' => u,
        // Any directory failure (timeout, denied, down) means we cannot help now; the detail is in the audit reason.
        (): 'unreachable' => 'unreachable',
      ),
      this.deps.methods.list(user),
      this.deps.block.blockedUntil(user),
      this.deps.counter.countToday(user),
    ]);

    const refuse = async (publicReason: StartPublicReason, auditReason: StartAuditReason): Promise<StartRecoveryAnswer> => {
      await this.deps.audit.record({
        type: START_AUDIT[goal],
        correlationId: input.correlationId,
        user,
        outcome: 'refused',
        reason: auditReason,
      });
      return { ok: false, publicReason, auditReason };
    };

    if (found === 'unreachable') return refuse('temporarily_unavailable', 'directory_unreachable');
    if (goal === 'unlock' && !directory.capabilities().canUnlock) return refuse('unlock_not_supported', 'unlock_not_supported');
    if (found === null) return refuse('cannot_continue', 'user_unknown');
    if (!found.enabled) return refuse('cannot_continue', 'account_disabled');
    if (policy.scope.mode === 'groups' && !found.groups.some((g) => policy.scope.groups.includes(g))) {
      return refuse('cannot_continue', 'out_of_scope');
    }
    if (found.privileged && policy.methods.privilegedRoute === 'helpdesk') {
      return refuse('cannot_continue', 'privileged_helpdesk');
    }
    const choices = this.choicesFor(methods, found.privileged);
    if (choices === 'none') return refuse('cannot_continue', 'not_registered');
    if (choices.length === 0) return refuse('cannot_continue', 'insufficient_methods');
    if (blockedUntil !== null) return refuse('cannot_continue', 'blocked');
    // The daily cap counts account changes; caller verification changes nothing (R38).
    if (goal !== 'verify' && todayCount >= policy.resets.maxPerDay) return refuse('cannot_continue', 'throttled');

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

  private choicesFor(methods: readonly RegisteredMethod[], privileged: boolean): RegisteredMethod[] | 'none' {
    if (methods.every((m) => m.confirmedAt === null)) return 'none';
    const usable = usableMethods(methods, this.deps.policy, privileged);
    return nextChoices(usable, [], requiredMethodCount(this.deps.policy, privileged));
  }
}
