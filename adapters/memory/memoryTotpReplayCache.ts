import type { Clock } from '../../domain/ports/clock';
import { SsprError } from '../../domain/errors';
import type { UserRef } from '../../domain/model/user';
import { steppedRecord } from '../../domain/ports/flowStore';
import type { TotpAcceptance, TotpAccepted, TotpReplayCache } from '../../domain/ports/totp';
import { BoundedMap } from './boundedMap';
import type { MemoryFlowStore } from './memoryFlowStore';
import type { MemoryGrantStore } from './memoryGrantStore';
import type { MemoryMethodStore } from './memoryMethodStore';
import { applyRecordChangeNow, type MemoryRecordLinks } from './memoryRecordChange';

/**
 * In-memory TOTP replay cache on the injected clock. Its acceptance takes the method stamp, the flow step and the grant
 * in the same synchronous step as it records the time step (the stores it links to; the Redis script's memory twin).
 */
export class MemoryTotpReplayCache implements TotpReplayCache {
  private readonly used = new BoundedMap<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly links: {
      readonly methods?: Pick<MemoryMethodStore, 'stampNow'>;
      readonly flows?: Pick<MemoryFlowStore, 'stepNow'>;
      readonly grants?: Pick<MemoryGrantStore, 'issueNow'>;
      /** The stores an enrolment's change writes (issue 15). */
      readonly records?: MemoryRecordLinks;
    } = {},
    private readonly ttlSeconds = 120,
  ) {}

  async accept(user: UserRef, step: number, a: TotpAcceptance): Promise<TotpAccepted> {
    const now = this.clock.now();
    for (const [k, until] of this.used) if (until <= now) this.used.delete(k);
    const k = `${user.tenantId}:${user.objectId}:${step}`;
    if (this.used.has(k)) return { ok: false, reason: 'replayed' };
    // No await from here on: nothing else runs in between (the step, the stamp, the flow and the grant together).
    const flowStep = this.links.flows ? a.step : undefined;
    if (flowStep && !this.links.flows?.stepNow(flowStep)) return { ok: false, reason: 'flow_moved' };
    this.used.set(k, now + this.ttlSeconds * 1000);
    this.links.methods?.stampNow(user, a.methodId, a.mark, a.at);
    if (a.change) {
      if (!this.links.records) throw new SsprError('internal', 'no method store linked for an atomic record change');
      applyRecordChangeNow(this.links.records, user, a.change);
    }
    if (!flowStep) return { ok: true, stepped: false };
    if (!a.grant || !this.links.grants) return { ok: true, stepped: true };
    const flow = steppedRecord(flowStep);
    const grant = this.links.grants.issueNow({ user, conversationId: a.grant.conversationId, flowId: flow.flowId, goal: a.grant.goal, flowStartedAt: a.grant.flowStartedAt });
    return { ok: true, stepped: true, grant: { issuedAt: grant.issuedAt, expiresAt: grant.expiresAt } };
  }
}
