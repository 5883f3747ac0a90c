import type { UserRef } from '../model/user';
import type { FlowRecord, FlowState } from '../verification/stateMachine';

/**
 * F16: one compare-and-set step of a flow — from `flow.version` to `flow.version + 1` with state `next` — that another
 * store takes in the same atomic operation as its own write (consuming a one-time code), so no crash or lost
 * connection can leave one done without the other.
 */
export interface FlowStep {
  readonly flow: FlowRecord;
  readonly next: FlowState;
}

/** The record a {@link FlowStep} stores. */
export function steppedRecord(step: FlowStep): FlowRecord {
  return { ...step.flow, state: step.next, version: step.flow.version + 1 };
}

/**
 * Verification flow records (references only, never secrets). Keys are scoped by user (hash tag `{u:…}`, F20)
 * and expire at the flow's `expiresAt`. Unexpected failures (Redis down) throw SsprError('state_unavailable').
 */
export interface FlowStore {
  /** Store a new flow (version 0). */
  create(flow: FlowRecord): Promise<void>;
  /** The flow of this user with this id, or null (unknown, expired, or another user's). */
  get(user: UserRef, flowId: string): Promise<FlowRecord | null>;
  /**
   * Compare-and-set: store `next` as version `expectedVersion + 1` only if the stored version is still
   * `expectedVersion`. Returns the updated record, or null when another writer got there first. `current`: the record
   * the caller read at that version (saves the store a read; issue 15).
   */
  advance(user: UserRef, flowId: string, expectedVersion: number, next: FlowState, current?: FlowRecord): Promise<FlowRecord | null>;
}
