import { SsprError } from '../../domain/errors';
import { userKey, type UserRef } from '../../domain/model/user';
import type { FlowStep, FlowStore } from '../../domain/ports/flowStore';
import type { Clock } from '../../domain/ports/clock';
import type { FlowRecord, FlowState } from '../../domain/verification/stateMachine';
import { BoundedMap, DEFAULT_MEMORY_CAP } from './boundedMap';

const GRACE_MS = 5 * 60 * 1000;

/** In-memory FlowStore (tests, embedded development mode). Same semantics as RedisFlowStore; single process only. */
export class MemoryFlowStore implements FlowStore {
  private readonly flows = new BoundedMap<string, FlowRecord>(DEFAULT_MEMORY_CAP, (f) => this.clock.now() >= f.expiresAt + GRACE_MS);

  constructor(private readonly clock: Clock) {}

  private k(user: UserRef, flowId: string): string {
    return `${userKey(user)}|${flowId}`;
  }

  async create(flow: FlowRecord): Promise<void> {
    const key = this.k(flow.user, flow.flowId);
    if (this.flows.has(key)) throw new SsprError('state_conflict', 'flow id already in use');
    this.flows.set(key, structuredClone(flow));
  }

  async get(user: UserRef, flowId: string): Promise<FlowRecord | null> {
    const key = this.k(user, flowId);
    const flow = this.flows.get(key);
    if (!flow) return null;
    if (this.clock.now() >= flow.expiresAt + GRACE_MS) {
      this.flows.delete(key);
      return null;
    }
    return structuredClone(flow);
  }

  /**
   * F16, synchronously: take the step if the flow is still at its version. The memory code store calls this in the
   * same synchronous step as it consumes a code, so no other task can run in between.
   */
  stepNow(step: FlowStep): boolean {
    const key = this.k(step.flow.user, step.flow.flowId);
    const current = this.flows.get(key);
    if (!current || current.version !== step.flow.version || this.clock.now() >= current.expiresAt + GRACE_MS) return false;
    this.flows.set(key, structuredClone({ ...current, state: step.next, version: current.version + 1 }));
    return true;
  }

  async advance(user: UserRef, flowId: string, expectedVersion: number, next: FlowState): Promise<FlowRecord | null> {
    const current = await this.get(user, flowId);
    if (!current || current.version !== expectedVersion) return null;
    const updated: FlowRecord = { ...current, state: next, version: expectedVersion + 1 };
    this.flows.set(this.k(user, flowId), structuredClone(updated));
    return structuredClone(updated);
  }
}
