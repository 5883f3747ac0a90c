import type Redis from 'ioredis';
import { SsprError } from '../../domain/errors';
import { BoundedMap, DEFAULT_MEMORY_CAP } from '../memory/boundedMap';

export type { IdempotencyBegin, IdempotencyStore, StoredAnswer } from '../../domain/ports/idempotency';
import type { IdempotencyBegin, IdempotencyStore, StoredAnswer } from '../../domain/ports/idempotency';

interface Entry {
  readonly h: string;
  readonly a?: StoredAnswer;
}

function decide(entry: Entry, bodyHash: string): IdempotencyBegin {
  if (entry.h !== bodyHash) return { kind: 'mismatch' };
  return entry.a ? { kind: 'replay', answer: entry.a } : { kind: 'in_progress' };
}

/** Idempotency records in Redis: SET NX claims the key atomically across instances; kept 24 hours. */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'sspr:',
    private readonly ttlSeconds = 86_400,
    private readonly pendingSeconds = 60,
  ) {}
  private k(scope: string, key: string): string {
    return `${this.prefix}helpdesk:idem:{${scope}}:${key}`;
  }
  private async run<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (cause) {
      throw new SsprError('state_unavailable', 'idempotency store unavailable', { cause });
    }
  }
  async begin(scope: string, key: string, bodyHash: string): Promise<IdempotencyBegin> {
    const k = this.k(scope, key);
    const claimed = await this.run(() => this.redis.set(k, JSON.stringify({ h: bodyHash }), 'EX', this.pendingSeconds, 'NX'));
    if (claimed === 'OK') return { kind: 'new' };
    const v = await this.run(() => this.redis.get(k));
    if (!v) return this.begin(scope, key, bodyHash);
    return decide(JSON.parse(v) as Entry, bodyHash);
  }
  async finish(scope: string, key: string, bodyHash: string, answer: StoredAnswer): Promise<void> {
    const entry: Entry = { h: bodyHash, a: answer };
    await this.run(() => this.redis.set(this.k(scope, key), JSON.stringify(entry), 'EX', this.ttlSeconds));
  }
  async abandon(scope: string, key: string): Promise<void> {
    await this.run(() => this.redis.del(this.k(scope, key)));
  }
}

/** In-memory idempotency records (single instance without Redis). */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new BoundedMap<string, { entry: Entry; until: number }>(DEFAULT_MEMORY_CAP, (e) => e.until <= this.now());
  constructor(
    private readonly now: () => number,
    private readonly ttlMs = 86_400_000,
  ) {}
  async begin(scope: string, key: string, bodyHash: string): Promise<IdempotencyBegin> {
    const k = `${scope}:${key}`;
    const found = this.entries.get(k);
    if (found && found.until > this.now()) return decide(found.entry, bodyHash);
    this.entries.set(k, { entry: { h: bodyHash }, until: this.now() + 60_000 });
    return { kind: 'new' };
  }
  async finish(scope: string, key: string, bodyHash: string, answer: StoredAnswer): Promise<void> {
    this.entries.set(`${scope}:${key}`, { entry: { h: bodyHash, a: answer }, until: this.now() + this.ttlMs });
  }
  async abandon(scope: string, key: string): Promise<void> {
    this.entries.delete(`${scope}:${key}`);
  }
}
