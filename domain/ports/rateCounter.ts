/**
 * A fixed-window counter per key (adapters: rate-limiter-flexible on Redis, or in memory). `peek` never spends a
 * point; both answer how long until the key is below its limit again (0 = it is now). Unexpected failures throw
 * SsprError('state_unavailable').
 */
export interface RateCounter {
  /** Milliseconds until `key` has room again; 0 when it has room now. Spends nothing. */
  peek(key: string): Promise<number>;
  /** Spend one point; milliseconds to wait when that point was over the limit, else 0. */
  spend(key: string): Promise<number>;
}
