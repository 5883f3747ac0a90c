import type Redis from 'ioredis';
import { SsprError } from '../../domain/errors';
import type { SendThrottle, ThrottleBucket, ThrottleVerdict } from '../../domain/ports/throttle';
import { LuaScript } from './luaScript';
import type { RedisKeys } from './redisKeys';

/**
 * KEYS: the buckets (one hash slot). ARGV[1]: 'take' (check every bucket, then consume a point in each only if all
 * have room), 'check' or 'refund' (give back a point 'take' took: counters only); then per key: limit,
 * window ms, member ('' for a counter). Replies {1, 0, 0}
 * (taken / has room) or {0, ms until the fullest bucket frees a point, 1-based index of the first full bucket}.
 * A counter is a fixed window: an integer whose expiry is set when the window's first point is taken (the format
 * rate-limiter-flexible used, so existing windows carry on). A bucket with a member is a set of distinct
 * (pseudonymous) values with the same kind of window: a member already in it takes no point (R33).
 */
const TAKE = new LuaScript(`
local mode = ARGV[1]
local function arg(i, j) return ARGV[3 * i - 2 + j] end
if mode == 'refund' then
  for i, k in ipairs(KEYS) do
    if arg(i, 3) == '' and (tonumber(redis.call('GET', k) or '0') or 0) > 0 then redis.call('DECR', k) end
  end
  return {1, 0, 0}
end
local wait = 0
local first = 0
for i, k in ipairs(KEYS) do
  local limit = tonumber(arg(i, 1))
  local member = arg(i, 3)
  local full
  if member ~= '' then
    full = redis.call('SISMEMBER', k, member) == 0 and redis.call('SCARD', k) >= limit
  else
    full = (tonumber(redis.call('GET', k) or '0') or 0) >= limit
  end
  if full then
    local t = redis.call('PTTL', k)
    if t < 1 then t = tonumber(arg(i, 2)) end
    if t > wait then wait = t end
    if first == 0 then first = i end
  end
end
if first > 0 then return {0, wait, first} end
if mode == 'check' then return {1, 0, 0} end
for i, k in ipairs(KEYS) do
  local member = arg(i, 3)
  if member ~= '' then
    if redis.call('SADD', k, member) == 1 and redis.call('PTTL', k) < 0 then redis.call('PEXPIRE', k, arg(i, 2)) end
  else
    local used = redis.call('INCR', k)
    if used == 1 or redis.call('PTTL', k) < 0 then redis.call('PEXPIRE', k, arg(i, 2)) end
  end
end
return {1, 0, 0}
`);

interface Group {
  keys: string[];
  args: (string | number)[];
  /** Index in the caller's bucket list of each key. */
  indexes: number[];
}

/** The part of a key Redis Cluster hashes: the first non-empty `{…}`, else the whole key. */
function slotOf(key: string): string {
  const a = key.indexOf('{');
  const b = a < 0 ? -1 : key.indexOf('}', a + 1);
  return a >= 0 && b > a + 1 ? key.slice(a + 1, b) : key;
}

/**
 * SendThrottle on Redis (R10, R30): fixed windows held in key TTLs, so every instance shares them and no local clock
 * is involved. Shared subjects (destinations, prefixes) are pseudonymised. Issue 15: the check and the consume of
 * all buckets of one slot are ONE Lua script (one round trip instead of a get and a consume per bucket). Buckets in
 * different slots (F20: a destination's and a prefix's) are each taken by their slot's script, side by side; when one
 * slot is full the points the others took are given back. A limit is never passed under concurrency (checking all
 * slots and consuming afterwards let every parallel sender through: R10/R30 attack tests in oneTimeCodes.test.ts);
 * a give-back still in flight can only refuse another sender early.
 */
export class RedisSendThrottle implements SendThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly pseudonymise: (subject: string) => string,
  ) {}

  private key(b: ThrottleBucket): string {
    const subject = b.user ? this.keys.userBucket(b.user, b.subject) : this.keys.sharedBucket(this.pseudonymise(b.subject));
    return `${this.keys.throttlePrefix(b.name)}:${subject}`;
  }

  private groups(buckets: readonly ThrottleBucket[]): Group[] {
    const bySlot = new Map<string, Group>();
    buckets.forEach((b, index) => {
      const key = this.key(b);
      const slot = slotOf(key);
      let g = bySlot.get(slot);
      if (!g) bySlot.set(slot, (g = { keys: [], args: [], indexes: [] }));
      g.keys.push(key);
      g.args.push(b.limit, b.windowSeconds * 1000, b.distinct === undefined ? '' : this.pseudonymise(b.distinct));
      g.indexes.push(index);
    });
    return [...bySlot.values()];
  }

  /** 0 = room; otherwise the wait and the index (in `buckets`) of the group's first full bucket. */
  private async run(mode: 'take' | 'check' | 'refund', g: Group): Promise<{ wait: number; first: number }> {
    const r = (await TAKE.run(this.redis, g.keys, [mode, ...g.args])) as [number, number, number];
    if (Number(r[0]) === 1) return { wait: 0, first: -1 };
    return { wait: Math.max(1, Number(r[1])), first: g.indexes[Math.max(0, Number(r[2]) - 1)] ?? 0 };
  }

  private static verdict(buckets: readonly ThrottleBucket[], results: readonly { wait: number; first: number }[]): ThrottleVerdict {
    const refused = results.filter((r) => r.wait > 0);
    if (refused.length === 0) return { ok: true };
    const first = Math.min(...refused.map((r) => r.first));
    return { ok: false, retryAfterMs: Math.max(...refused.map((r) => r.wait)), bucket: buckets[first]?.name ?? '' };
  }

  async take(buckets: readonly ThrottleBucket[]): Promise<ThrottleVerdict> {
    if (buckets.length === 0) return { ok: true };
    try {
      const groups = this.groups(buckets);
      const results = await Promise.all(groups.map((g) => this.run('take', g)));
      const verdict = RedisSendThrottle.verdict(buckets, results);
      if (!verdict.ok) await Promise.all(groups.filter((_, i) => results[i]!.wait === 0).map((g) => this.run('refund', g)));
      return verdict;
    } catch (cause) {
      throw new SsprError('state_unavailable', 'send throttle unavailable', { cause });
    }
  }

  async check(buckets: readonly ThrottleBucket[]): Promise<ThrottleVerdict> {
    if (buckets.length === 0) return { ok: true };
    try {
      // One script per slot, all issued in the same tick: one round trip.
      return RedisSendThrottle.verdict(buckets, await Promise.all(this.groups(buckets).map((g) => this.run('check', g))));
    } catch (cause) {
      throw new SsprError('state_unavailable', 'send throttle unavailable', { cause });
    }
  }

  async reset(buckets: readonly ThrottleBucket[]): Promise<void> {
    for (const b of buckets) await this.redis.del(this.key(b));
  }
}
