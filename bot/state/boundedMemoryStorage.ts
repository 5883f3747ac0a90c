import type { Storage, StoreItems } from 'botbuilder';
import { BoundedMap, DEFAULT_MEMORY_CAP } from '../../adapters/memory/boundedMap';

export interface BoundedMemoryStorageOptions {
  /** Most items kept; the expired, then the oldest, are evicted past it (default {@link DEFAULT_MEMORY_CAP}). */
  readonly maxItems?: number;
  /** Expiry of every item, refreshed on every write, as RedisStorage's (default 86400 s). */
  readonly ttlSeconds?: number;
  readonly now?: () => number;
}

/**
 * botbuilder `Storage` in memory with MemoryStorage's semantics (absent keys left out of `read`; a write without eTag
 * or with '*' is unconditional; a stale eTag rejects with "eTag conflict"; each write stores a fresh eTag), plus what
 * MemoryStorage lacks: a TTL and a cap, so a flood of conversations cannot grow the process without limit.
 */
export class BoundedMemoryStorage implements Storage {
  private readonly items: BoundedMap<string, { json: string; eTag: string; until: number }>;
  private etag = 1;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: BoundedMemoryStorageOptions = {}) {
    this.now = options.now ?? Date.now;
    this.ttlMs = (options.ttlSeconds ?? 86_400) * 1000;
    this.items = new BoundedMap(options.maxItems ?? DEFAULT_MEMORY_CAP, (v) => v.until <= this.now());
  }

  /** Items held now (tests). */
  get size(): number {
    return this.items.size;
  }

  private live(key: string): { json: string; eTag: string } | undefined {
    const v = this.items.get(key);
    if (v && v.until <= this.now()) {
      this.items.delete(key);
      return undefined;
    }
    return v;
  }

  async read(keys: string[]): Promise<StoreItems> {
    if (!keys) throw new ReferenceError('Keys are required when reading.');
    const data: StoreItems = {};
    for (const key of keys) {
      const v = this.live(key);
      if (v) data[key] = JSON.parse(v.json) as unknown;
    }
    return data;
  }

  async write(changes: StoreItems): Promise<void> {
    if (!changes) throw new ReferenceError('Changes are required when writing.');
    let conflict: string | null = null;
    for (const [key, item] of Object.entries(changes) as [string, Record<string, unknown>][]) {
      const old = this.live(key);
      const expected = item?.eTag;
      // As MemoryStorage: a stale item is not written, the others of the batch are.
      if (old && expected && expected !== '*' && expected !== old.eTag) {
        conflict ??= key;
        continue;
      }
      const eTag = String(this.etag++);
      this.items.set(key, { json: JSON.stringify({ ...item, eTag }), eTag, until: this.now() + this.ttlMs });
    }
    if (conflict !== null) throw new Error(`Storage: error writing "${conflict}" due to eTag conflict.`);
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) this.items.delete(key);
  }
}
