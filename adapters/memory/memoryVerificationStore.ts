import type { Clock } from '../../domain/ports/clock';
import type { CodeAttemptOutcome, CodeSlot, VerificationStore } from '../../domain/ports/verificationStore';
import type { HmacKeyRing } from '../crypto/keyRing';
import type { FlowStep } from '../../domain/ports/flowStore';
import { SsprError } from '../../domain/errors';
import type { MemoryFlowStore } from './memoryFlowStore';
import { BoundedMap, DEFAULT_MEMORY_CAP } from './boundedMap';
import type { RecordChange } from '../../domain/ports/recordChange';
import { applyRecordChangeNow, type MemoryRecordLinks } from './memoryRecordChange';

interface Entry {
  kid: string;
  mac: string;
  tries: number;
  expiresAt: number;
  issuedUntil: number;
}

/** In-memory VerificationStore with the same semantics as the Redis one; time from the injected clock. */
export class MemoryVerificationStore implements VerificationStore {
  private readonly codes = new BoundedMap<string, Entry>(DEFAULT_MEMORY_CAP, (e) => e.expiresAt <= this.clock.now());

  constructor(
    private readonly clock: Clock,
    private readonly hmac: HmacKeyRing,
    /** The flow store of F16's atomic "consume + advance" (the state backend links them). */
    private readonly flows?: Pick<MemoryFlowStore, 'stepNow'>,
    /** The method and step-up stores a registration code's change writes in the same step (issue 15). */
    private readonly records?: MemoryRecordLinks,
  ) {}

  private key(s: CodeSlot): string {
    return `${s.user.tenantId}:${s.user.objectId}:${s.purpose}:${s.methodId}`;
  }

  async create(slot: CodeSlot, code: string, lifetimeSeconds: number, step?: FlowStep): Promise<{ expiresAt: number }> {
    if (step && !this.flows) throw new SsprError('internal', 'no flow store linked for an atomic flow step');
    // No await below: the flow step and the code's write are one synchronous step.
    if (step && !this.flows?.stepNow(step)) throw new SsprError('state_conflict', 'verification flow changed concurrently');
    const { kid, mac } = this.hmac.sign(`${this.key(slot)}:${code}`);
    const expiresAt = this.clock.now() + lifetimeSeconds * 1000;
    this.codes.set(this.key(slot), { kid, mac, tries: 0, expiresAt, issuedUntil: expiresAt + 3_600_000 });
    return { expiresAt };
  }

  // No await from here to the end: the whole attempt (with F16's flow step) is one synchronous step.
  async attempt(slot: CodeSlot, code: string, maxTries: number, step?: FlowStep, change?: RecordChange): Promise<CodeAttemptOutcome> {
    if (step && !this.flows) throw new SsprError('internal', 'no flow store linked for an atomic flow step');
    if (change && !this.records) throw new SsprError('internal', 'no method store linked for an atomic record change');
    const k = this.key(slot);
    const e = this.codes.get(k);
    const now = this.clock.now();
    if (!e) return 'no_code';
    if (now >= e.expiresAt) {
      if (now >= e.issuedUntil) {
        this.codes.delete(k);
        return 'no_code';
      }
      return 'expired';
    }
    e.tries += 1;
    if (e.tries > maxTries) return 'too_many_tries';
    if (this.hmac.verify(e.kid, e.mac, `${k}:${code}`)) {
      if (step && !this.flows?.stepNow(step)) return 'flow_moved';
      this.codes.delete(k);
      if (change && this.records) applyRecordChangeNow(this.records, slot.user, change);
      return 'ok';
    }
    return e.tries >= maxTries ? 'too_many_tries' : 'invalid';
  }

  async discard(slot: CodeSlot): Promise<void> {
    this.codes.delete(this.key(slot));
  }

  /** Test helper: never exposes a code, only whether a record exists. */
  has(slot: CodeSlot): boolean {
    if (!this.codes.has(this.key(slot))) return false;
    return true;
  }
}

