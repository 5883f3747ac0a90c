import type Redis from 'ioredis';
import type { ConversationRefStore } from '../../domain/ports/conversationRefs';
import { SsprError } from '../../domain/errors';
import { userKey, type UserRef } from '../../domain/model/user';
import type { UserRecordMemo } from './userRecordMemo';

/**
 * ConversationReferences in Redis under the user's hash tag; refreshed on every turn, kept 180 days. With a
 * {@link UserRecordMemo} (issue 15), a read inside a turn or pages request comes from its one read of the user's
 * record — the R18 notice a security-info change starts reads it there — and a save re-reads the record behind it.
 */
export class RedisConversationRefStore implements ConversationRefStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'sspr:',
    private readonly ttlSeconds = 180 * 86400,
    private readonly memo?: UserRecordMemo,
  ) {}

  private key(user: UserRef): string {
    return `${this.prefix}{u:${userKey(user)}}:convref`;
  }

  async save(user: UserRef, reference: Readonly<Record<string, unknown>>): Promise<void> {
    try {
      const sent = this.redis.set(this.key(user), JSON.stringify(reference), 'EX', this.ttlSeconds);
      this.memo?.wrote(user);
      await sent;
    } catch (cause) {
      throw new SsprError('state_unavailable', 'conversation reference could not be saved', { cause });
    }
  }

  async get(user: UserRef): Promise<Readonly<Record<string, unknown>> | null> {
    try {
      const v = this.memo?.active() ? (await this.memo.read(user)).convref : await this.redis.get(this.key(user));
      return v === null ? null : (JSON.parse(v) as Record<string, unknown>);
    } catch (cause) {
      throw new SsprError('state_unavailable', 'conversation reference could not be read', { cause });
    }
  }
}
