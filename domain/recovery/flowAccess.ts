import { SsprError } from '../errors';
import type { UserRef } from '../model/user';
import type { FlowStore } from '../ports/flowStore';
import type { RegisteredMethod } from '../verification/methodProver';
import type { FlowRecord, FlowState } from '../verification/stateMachine';
import type { MethodChoice } from './recoveryDeps';

/**
 * The caller's flow, or null when it does not exist, belongs to someone else or to another conversation.
 * The flow is looked up under the caller's own user key, so another user's flow id finds nothing (R2).
 */
export async function loadBoundFlow(
  flows: FlowStore,
  user: UserRef,
  conversationId: string,
  flowId: string,
): Promise<FlowRecord | null> {
  const flow = await flows.get(user, flowId);
  if (!flow) return null;
  if (flow.user.tenantId !== user.tenantId || flow.user.objectId !== user.objectId) return null;
  if (flow.conversationId !== conversationId) return null;
  return flow;
}

/** Advance with compare-and-set; a lost race is unexpected here (turns are serialised, R25). */
export async function advanceFlow(flows: FlowStore, flow: FlowRecord, next: FlowState): Promise<FlowRecord> {
  const updated = await flows.advance(flow.user, flow.flowId, flow.version, next);
  if (!updated) throw new SsprError('state_conflict', 'verification flow changed concurrently');
  return updated;
}

export function toChoices(methods: readonly RegisteredMethod[]): MethodChoice[] {
  return methods.map((m) =>
    m.maskedDestination === undefined
      ? { id: m.id, kind: m.kind }
      : { id: m.id, kind: m.kind, maskedDestination: m.maskedDestination },
  );
}
