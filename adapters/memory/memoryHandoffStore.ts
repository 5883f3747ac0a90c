import type { Handoff } from '../../domain/helpdesk/handoff';
import type { Clock } from '../../domain/ports/clock';
import type { HandoffStore } from '../../domain/ports/handoffStore';
import { userKey, type UserRef } from '../../domain/model/user';
import { BoundedMap, DEFAULT_MEMORY_CAP } from './boundedMap';

/** In-memory HandoffStore (embedded default and tests). */
export class MemoryHandoffStore implements HandoffStore {
  private readonly records = new Map<string, string>();
  private readonly tokens = new BoundedMap<string, { id: string; until: number }>(DEFAULT_MEMORY_CAP, (t) => t.until <= this.clock.now());
  private readonly active = new Map<string, string>();

  constructor(private readonly clock: Clock) {}

  async create(handoff: Handoff, tokenDigest: string, ttlMs: number): Promise<void> {
    this.records.set(handoff.id, JSON.stringify(handoff));
    this.tokens.set(tokenDigest, { id: handoff.id, until: this.clock.now() + ttlMs });
    this.active.set(userKey(handoff.target), handoff.id);
  }
  async get(id: string): Promise<Handoff | null> {
    const v = this.records.get(id);
    return v === undefined ? null : (JSON.parse(v) as Handoff);
  }
  async put(handoff: Handoff): Promise<void> {
    this.records.set(handoff.id, JSON.stringify(handoff));
  }
  async peekToken(tokenDigest: string): Promise<string | null> {
    const t = this.tokens.get(tokenDigest);
    return t && t.until > this.clock.now() ? t.id : null;
  }
  async consumeToken(tokenDigest: string): Promise<boolean> {
    const t = this.tokens.get(tokenDigest);
    this.tokens.delete(tokenDigest);
    return t !== undefined && t.until > this.clock.now();
  }
  async activeFor(user: UserRef): Promise<string | null> {
    return this.active.get(userKey(user)) ?? null;
  }
  async clearActive(user: UserRef, id: string): Promise<void> {
    if (this.active.get(userKey(user)) === id) this.active.delete(userKey(user));
  }
}
