import type Redis from 'ioredis';
import { SsprError } from '../../domain/errors';
import type { SendThrottle, ThrottleBucket } from '../../domain/ports/throttle';
import { LuaScript } from './luaScript';
import type { RedisKeys } from './redisKeys';

/**
 * KEYS: the bucket counters (one hash slot). ARGV[1]: 'take' (check every bucket, then consume a point in each only
 * if all have room), 'check' or 'consume'; then limit, window ms per key. Replies {1, 0} (taken / has room) or
 * {0, ms until the fullest bucket frees a point}. A counter is a fixed window: an integer whose expiry is set when
 * the window's first point is taken (the format rate-limiter-flexible used, so existing windows carry on).
 */
const TAKE = new LuaScript(`
local mode = ARGV[1]
if mode ~= 'consume' then
  local wait = 0
  for i, k in ipairs(KEYS) do
    local limit = tonumber(ARGV[2 * i])
    local used = tonumber(redis.call('GET', k) or '0') or 0
    if used >= limit then
      local t = redis.call('PTTL', k)
      if t < 0 then t = tonumber(ARGV[2 * i + 1]) end
      if t > wait then wait = t end
    end
  end
  if wait > 0 then return {0, wait} end
  if mode == 'check' then return {1, 0} end
end
for i, k in ipairs(KEYS) do
  local used = redis.call('INCR', k)
  if used == 1 or redis.call('PTTL', k) < 0 then redis.call('PEXPIRE', k, ARGV[2 * i + 1]) end
end
return {1, 0}
`);

/** The part of a key Redis Cluster hashes: the first non-empty `{…}`, else the whole key. */
function slotOf(key: string): string {
  const a = key.indexOf('{');
  const b = a < 0 ? -1 : key.indexOf('}', a + 1);
  return a >= 0 && b > a + 1 ? key.slice(a + 1, b) : key;
}

/**
 * SendThrottle on Redis (R10, R30): fixed windows held in key TTLs, so every instance shares them and no local clock
 * is involved. Shared subjects (destinations, prefixes) are pseudonymised. Issue 15: the check and the consume of
 * all buckets of one slot are ONE Lua script (one round trip instead of a get and a consume per bucket); buckets in
 * different slots (F20: a user's own counters vs. shared ones) are checked, then consumed, one script per slot.
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

  private groups(buckets: readonly ThrottleBucket[]): { keys: string[]; args: (string | number)[] }[] {
    const bySlot = new Map<string, { keys: string[]; args: (string | number)[] }>();
    for (const b of buckets) {
      const key = this.key(b);
      const slot = slotOf(key);
      let g = bySlot.get(slot);
      if (!g) bySlot.set(slot, (g = { keys: [], args: [] }));
      g.keys.push(key);
      g.args.push(b.limit, b.windowSeconds * 1000);
    }
    return [...bySlot.values()];
  }

  private async run(mode: 'take' | 'check' | 'consume', g: { keys: string[]; args: (string | number)[] }): Promise<number> {
    const r = (await TAKE.run(this.redis, g.keys, [mode, ...g.args])) as [number, number];
    return Number(r[0]) === 1 ? 0 : Math.max(1, Number(r[1]));
  }

  async take(buckets: readonly ThrottleBucket[]): Promise<{ ok: true } | { ok: false; retryAfterMs: number }> {
    if (buckets.length === 0) return { ok: true };
    try {
      const groups = this.groups(buckets);
      if (groups.length === 1) {
        const wait = await this.run('take', groups[0]!);
        return wait > 0 ? { ok: false, retryAfterMs: wait } : { ok: true };
      }
      const waits = await Promise.all(groups.map((g) => this.run('check', g)));
      const wait = Math.max(...waits);
      if (wait > 0) return { ok: false, retryAfterMs: wait };
      await Promise.all(groups.map((g) => this.run('consume', g)));
      return { ok: true };
    } catch (cause) {
      throw new SsprError('state_unavailable', 'send throttle unavailable', { cause });
    }
  }

  async reset(buckets: readonly ThrottleBucket[]): Promise<void> {
    for (const b of buckets) await this.redis.del(this.key(b));
  }
}
