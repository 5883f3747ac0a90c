import type { UserRef } from '../model/user';
import type { FlowRecord, FlowState } from '../verification/stateMachine';

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
   * `expectedVersion`. Returns the updated record, or null when another writer got there first.
   */
  advance(user: UserRef, flowId: string, expectedVersion: number, next: FlowState): Promise<FlowRecord | null>;
}
