import type { Clock } from '../../domain/ports/clock';
import { userKey, type UserRef } from '../../domain/model/user';
import type { StepUpFlag, StepUpStore } from '../../domain/ports/stepUpStore';
import { BoundedMap, DEFAULT_MEMORY_CAP } from './boundedMap';

/** In-memory StepUpStore on the injected clock (tests and the embedded development default). */
export class MemoryStepUpStore implements StepUpStore {
  private readonly proofs = new BoundedMap<string, { at: number; until: number }>(DEFAULT_MEMORY_CAP, (p) => p.until <= this.clock.now());
  private readonly holds = new Map<string, number>();
  private readonly flags = new Set<string>();

  constructor(private readonly clock: Clock) {}

  async recordProof(user: UserRef, at: number, windowSeconds: number): Promise<void> {
    this.recordProofNow(user, at, windowSeconds);
  }

  /** recordProof, synchronously (a memory acceptance's record change, in the same step as its other writes). */
  recordProofNow(user: UserRef, at: number, windowSeconds: number): void {
    this.proofs.set(userKey(user), { at, until: this.clock.now() + windowSeconds * 1000 });
  }

  async lastProof(user: UserRef): Promise<number | null> {
    const p = this.proofs.get(userKey(user));
    if (!p) return null;
    if (p.until < this.clock.now()) {
      this.proofs.delete(userKey(user));
      return null;
    }
    return p.at;
  }

  async startHold(user: UserRef, until: number): Promise<void> {
    this.holds.set(userKey(user), until);
  }

  async holdUntil(user: UserRef): Promise<number | null> {
    const until = this.holds.get(userKey(user));
    return until !== undefined && until > this.clock.now() ? until : null;
  }

  async setFlag(user: UserRef, flag: StepUpFlag): Promise<void> {
    this.setFlagNow(user, flag);
  }

  /** setFlag, synchronously (see {@link recordProofNow}). */
  setFlagNow(user: UserRef, flag: StepUpFlag): void {
    this.flags.add(`${userKey(user)}|${flag}`);
  }

  async hasFlag(user: UserRef, flag: StepUpFlag): Promise<boolean> {
    return this.flags.has(`${userKey(user)}|${flag}`);
  }

  async clearProof(user: UserRef): Promise<void> {
    this.proofs.delete(userKey(user));
  }
}
