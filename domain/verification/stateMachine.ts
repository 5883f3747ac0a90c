import type { Result } from '../errors';
import { fail, ok } from '../errors';
import type { UserRef } from '../model/user';
import type { ProofRefusal, RegisteredMethod } from './methodProver';
import { nextChoices } from './methodRules';

/** What the user wants to recover: the goals a grant (R16) can be issued for. */
export type RecoveryGoal = 'reset' | 'unlock';

/** The goal of a verification flow: a recovery, or caller verification (`verify`), which issues no grant (R38). */
export type FlowGoal = RecoveryGoal | 'verify';

/** States of one verification flow; see stateMachine.md for the diagram. Holds references only, never secrets. */
export type FlowState =
  | { readonly name: 'choosingMethod'; readonly proved: readonly string[] }
  | { readonly name: 'challengeSent'; readonly proved: readonly string[]; readonly methodId: string }
  | { readonly name: 'verified'; readonly proved: readonly string[]; readonly verifiedAt: number }
  | { readonly name: 'blocked'; readonly proved: readonly string[]; readonly until: number }
  | { readonly name: 'failed'; readonly reason: 'cancelled' | 'no_methods_left' }
  | { readonly name: 'expired' };

export type FlowStateName = FlowState['name'];

export const TERMINAL_STATES: readonly FlowStateName[] = ['verified', 'blocked', 'failed', 'expired'];

/**
 * One verification flow: a reference bound to user and conversation (R2, R16), stored under a random flow id of
 * at least 128 bits. `version` increases with every transition and guards concurrent writers.
 */
export interface FlowRecord {
  readonly flowId: string;
  readonly user: UserRef;
  readonly conversationId: string;
  readonly goal: FlowGoal;
  readonly startedAt: number;
  /** startedAt + policy.grant.maxFlowSeconds: nothing of this flow is usable after it (R16). */
  readonly expiresAt: number;
  readonly required: 1 | 2;
  readonly privileged: boolean;
  readonly state: FlowState;
  readonly version: number;
}

export type FlowEvent =
  | { readonly type: 'choose'; readonly methodId: string }
  | { readonly type: 'challengeRefused' }
  | { readonly type: 'proofAccepted' }
  | { readonly type: 'proofRefused'; readonly reason: ProofRefusal; readonly blockedUntil: number | null }
  | { readonly type: 'blockedObserved'; readonly until: number }
  | { readonly type: 'cancel' };

export interface TransitionContext {
  readonly now: number;
  /** The user's usable methods (methodRules.usableMethods). */
  readonly usable: readonly RegisteredMethod[];
}

export type TransitionRefusal = 'invalid_transition' | 'method_not_allowed';

/** Whether the flow can take no more events. */
export function isTerminal(state: FlowState): boolean {
  return TERMINAL_STATES.includes(state.name);
}

/**
 * The pure transition function of the verification flow. An event on a flow past `expiresAt` moves a
 * non-terminal flow to `expired` whatever the event. Returns the next state (version handled by the store).
 */
export function transition(
  flow: FlowRecord,
  event: FlowEvent,
  ctx: TransitionContext,
): Result<FlowState, TransitionRefusal> {
  const s = flow.state;
  if (isTerminal(s)) return fail('invalid_transition');
  if (ctx.now >= flow.expiresAt) return ok({ name: 'expired' });
  if (event.type === 'cancel') return ok({ name: 'failed', reason: 'cancelled' });
  if (event.type === 'blockedObserved') return ok({ name: 'blocked', proved: provedOf(s), until: event.until });

  switch (s.name) {
    case 'choosingMethod': {
      if (event.type !== 'choose') return fail('invalid_transition');
      const allowed = nextChoices(ctx.usable, s.proved, flow.required).some((m) => m.id === event.methodId);
      if (!allowed) return fail('method_not_allowed');
      return ok({ name: 'challengeSent', proved: s.proved, methodId: event.methodId });
    }
    case 'challengeSent': {
      switch (event.type) {
        case 'choose': {
          // Switching method (or asking for a new code) before answering: no reset of the R9 count happens here.
          const allowed = nextChoices(ctx.usable, s.proved, flow.required).some((m) => m.id === event.methodId);
          if (!allowed) return fail('method_not_allowed');
          return ok({ name: 'challengeSent', proved: s.proved, methodId: event.methodId });
        }
        case 'challengeRefused':
          return ok({ name: 'choosingMethod', proved: s.proved });
        case 'proofAccepted': {
          const proved = [...s.proved, s.methodId];
          if (proved.length >= flow.required) return ok({ name: 'verified', proved, verifiedAt: ctx.now });
          if (nextChoices(ctx.usable, proved, flow.required).length === 0) {
            return ok({ name: 'failed', reason: 'no_methods_left' });
          }
          return ok({ name: 'choosingMethod', proved });
        }
        case 'proofRefused':
          if (event.blockedUntil !== null) return ok({ name: 'blocked', proved: s.proved, until: event.blockedUntil });
          if (event.reason === 'wrong') return ok(s);
          return ok({ name: 'choosingMethod', proved: s.proved });
        default:
          return fail('invalid_transition');
      }
    }
    default:
      return fail('invalid_transition');
  }
}

function provedOf(s: FlowState): readonly string[] {
  return 'proved' in s ? s.proved : [];
}
