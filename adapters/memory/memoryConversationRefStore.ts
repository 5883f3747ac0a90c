import { BoundedMap, DEFAULT_MEMORY_CAP } from './boundedMap';
import type { ConversationRefStore } from '../../domain/ports/conversationRefs';
import { userKey, type UserRef } from '../../domain/model/user';

/** In-memory ConversationRefStore (embedded default and tests). */
export class MemoryConversationRefStore implements ConversationRefStore {
  private readonly refs: BoundedMap<string, string>;
  /** At most `cap` references (one per user); the oldest saved goes first. */
  constructor(cap = DEFAULT_MEMORY_CAP) {
    this.refs = new BoundedMap(cap);
  }
  async save(user: UserRef, reference: Readonly<Record<string, unknown>>): Promise<void> {
    this.refs.set(userKey(user), JSON.stringify(reference));
  }
  async get(user: UserRef): Promise<Readonly<Record<string, unknown>> | null> {
    const v = this.refs.get(userKey(user));
    return v === undefined ? null : (JSON.parse(v) as Record<string, unknown>);
  }
}
