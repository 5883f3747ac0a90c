import type Redis from 'ioredis';
import type { Handoff } from '../../domain/helpdesk/handoff';
import { SsprError } from '../../domain/errors';
import type { HandoffStore } from '../../domain/ports/handoffStore';
import type { UserRef } from '../../domain/model/user';
import { RedisKeys } from './redisKeys';

/** Records outlive their token so the agent and the ITSM API can read the outcome for a week. */
const RECORD_TTL_SECONDS = 7 * 86400;

const CLEAR_IF = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * Hand-offs in Redis. The record and the token index live under the hand-off's own hash tag `{h:<id>}`; the
 * "active hand-off" pointer under the target user's tag `{u:<tenant>:<oid>}` (F20). A token is used up with DEL,
 * which succeeds for exactly one caller across instances (R21 single use); its key expires after 15 minutes.
 */
export class RedisHandoffStore implements HandoffStore {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'sspr:',
  ) {
    this.keys = new RedisKeys(prefix);
  }

  private record(id: string): string {
    return `${this.prefix}{h:${id}}:handoff`;
  }
  private token(digest: string): string {
    return `${this.prefix}{ht:${digest}}:handoff-token`;
  }
  private active(user: UserRef): string {
    return `${this.prefix}${this.keys.userTag(user)}:handoff-active`;
  }

  private async run<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (cause) {
      throw new SsprError('state_unavailable', `hand-off store: ${what} failed`, { cause });
    }
  }

  async create(handoff: Handoff, tokenDigest: string, ttlMs: number): Promise<void> {
    await this.run('create', async () => {
      await this.redis.set(this.record(handoff.id), JSON.stringify(handoff), 'EX', RECORD_TTL_SECONDS);
      await this.redis.set(this.token(tokenDigest), handoff.id, 'PX', ttlMs);
      await this.redis.set(this.active(handoff.target), handoff.id, 'PX', ttlMs + 3600_000);
    });
  }
  async get(id: string): Promise<Handoff | null> {
    const v = await this.run('get', () => this.redis.get(this.record(id)));
    return v === null ? null : (JSON.parse(v) as Handoff);
  }
  async put(handoff: Handoff): Promise<void> {
    await this.run('put', () => this.redis.set(this.record(handoff.id), JSON.stringify(handoff), 'EX', RECORD_TTL_SECONDS));
  }
  async peekToken(tokenDigest: string): Promise<string | null> {
    return this.run('peek', () => this.redis.get(this.token(tokenDigest)));
  }
  async consumeToken(tokenDigest: string): Promise<boolean> {
    return (await this.run('consume', () => this.redis.del(this.token(tokenDigest)))) === 1;
  }
  async activeFor(user: UserRef): Promise<string | null> {
    return this.run('active', () => this.redis.get(this.active(user)));
  }
  async clearActive(user: UserRef, id: string): Promise<void> {
    await this.run('clear', () => this.redis.eval(CLEAR_IF, 1, this.active(user), id));
  }
}
