/** Default entry cap of one in-memory store (development and tests without Redis). */
export const DEFAULT_MEMORY_CAP = 10_000;

/**
 * A Map with a size cap, for the in-memory stores. Without Redis nothing else bounds them, so a flood of
 * conversations or users could otherwise grow the process without limit. When a new key would pass the cap, entries
 * the store calls expired go first (one sweep, only when full); if none, the oldest entry (insertion order; `set` of
 * an existing key refreshes it) is evicted.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(
    readonly cap: number = DEFAULT_MEMORY_CAP,
    private readonly expired?: (value: V) => boolean,
  ) {
    super();
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError('cap must be a positive integer');
  }

  override set(key: K, value: V): this {
    // Refresh: a rewritten key becomes the newest.
    if (super.has(key)) super.delete(key);
    else if (this.size >= this.cap) this.makeRoom();
    return super.set(key, value);
  }

  private makeRoom(): void {
    if (this.expired) {
      for (const [k, v] of this) if (this.expired(v)) super.delete(k);
      if (this.size < this.cap) return;
    }
    const oldest = this.keys().next();
    if (!oldest.done) super.delete(oldest.value);
  }
}
