import type { Clock } from '../../domain/ports/clock';
import { userKey, type UserRef } from '../../domain/model/user';
import type { StepUpFlag, StepUpRecord, StepUpStore } from '../../domain/ports/stepUpStore';
import { BoundedMap, DEFAULT_MEMORY_CAP } from './boundedMap';

/** At most this many live proofs per user (the Redis script `add_proof` keeps the same number). */
export const MAX_PROOFS = 8;

/** In-memory StepUpStore on the injected clock (tests and the embedded development default). */
export class MemoryStepUpStore implements StepUpStore {
  private readonly live = new BoundedMap<string, { records: readonly StepUpRecord[]; until: number }>(DEFAULT_MEMORY_CAP, (p) => p.until <= this.clock.now());
  private readonly holds = new Map<string, number>();
  private readonly flags = new Set<string>();

  constructor(private readonly clock: Clock) {}

  async recordProof(user: UserRef, at: number, windowSeconds: number, methodId?: string): Promise<void> {
    this.recordProofNow(user, at, windowSeconds, methodId);
  }

  /**
   * recordProof, synchronously (a memory acceptance's record change, in the same step as its other writes): the twin
   * of the Redis script `add_proof` — proofs older than the window and an earlier proof of the same method dropped,
   * at most {@link MAX_PROOFS} kept.
   */
  recordProofNow(user: UserRef, at: number, windowSeconds: number, methodId?: string): void {
    const kept = this.current(user).filter((r) => r.at > at - windowSeconds * 1000 && (methodId === undefined || r.methodId !== methodId));
    const records = [...kept, methodId === undefined ? { at } : { at, methodId }].slice(-MAX_PROOFS);
    this.live.set(userKey(user), { records, until: this.clock.now() + windowSeconds * 1000 });
  }

  private current(user: UserRef): readonly StepUpRecord[] {
    const p = this.live.get(userKey(user));
    if (!p) return [];
    if (p.until < this.clock.now()) {
      this.live.delete(userKey(user));
      return [];
    }
    return p.records;
  }

  async proofs(user: UserRef): Promise<readonly StepUpRecord[]> {
    return this.current(user);
  }

  async lastProof(user: UserRef): Promise<number | null> {
    const records = this.current(user);
    return records.length === 0 ? null : Math.max(...records.map((r) => r.at));
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
    this.live.delete(userKey(user));
  }
}
