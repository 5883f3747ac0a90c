import { randomBytes } from 'node:crypto';
import type { Storage, StoreItems } from 'botbuilder';
import type { Redis } from 'ioredis';
import { SsprError } from '../domain/errors';
import { LuaScript, isNoScript } from '../adapters/redis/luaScript';
import type { TurnScope } from './state/turnScope';
import type { WriteRider } from '../adapters/redis/writeRider';
import { slotPipeline } from '../adapters/redis/slotPipeline';

export interface RedisStorageOptions {
  /** Issue 15: background writes released to ride in the same socket write as each state write. */
  rider?: WriteRider;
  /** Prepended to every storage key (default `sspr:state:`). */
  prefix?: string;
  /** Expiry of every item, refreshed on every write (default 86400 s). */
  ttlSeconds?: number;
  /** Shared with the {@link TurnGuard}: supplies the fencing token and the values prefetched with the lock. */
  scope?: TurnScope;
}

/**
 * Stored value: `<eTag>\n<fence>\n<json>`. The header lets the Lua script compare the eTag and the fencing token
 * without decoding JSON. `fence` is the largest fencing token that ever wrote the item (0 = never fenced).
 *
 * KEYS[1] item key; ARGV: expected eTag ('' = unconditional), new eTag, fencing token (0 = none), ttl s, json.
 * Replies 'ok', 'etag' (stale eTag, nothing written) or 'fence' (a newer lock holder has written, nothing written).
 */
const WRITE_LUA = `
local cur = redis.call('GET', KEYS[1])
local fence = tonumber(ARGV[3])
if cur then
  local a = string.find(cur, '\\n', 1, true)
  local b = a and string.find(cur, '\\n', a + 1, true)
  if a and b then
    if ARGV[1] ~= '' and ARGV[1] ~= string.sub(cur, 1, a - 1) then return 'etag' end
    local stored = tonumber(string.sub(cur, a + 1, b - 1)) or 0
    if fence > 0 and stored > fence then return 'fence' end
    if stored > fence then fence = stored end
  end
end
redis.call('SET', KEYS[1], ARGV[2] .. '\\n' .. string.format('%d', fence) .. '\\n' .. ARGV[5], 'EX', ARGV[4])
return 'ok'
`;

interface WriteCall {
  key: string;
  redisKey: string;
  args: (string | number)[];
}

/**
 * botbuilder `Storage` on Redis with MemoryStorage semantics: unknown keys are absent from `read`; a write without
 * eTag or with '*' is unconditional; a stale eTag rejects with an Error containing "eTag conflict" and writes nothing
 * for that key; each write stores a fresh eTag. One Lua script per item written (compare-and-set + SET EX, so the TTL
 * is refreshed atomically with the value); a batch is pipelined, reads are one pipelined round trip.
 *
 * Fencing: when a {@link TurnScope} is given and a write happens inside a turn run by {@link TurnGuard}, items of the
 * locked conversation are written with the turn's fencing token. A holder whose lock expired and was taken over
 * cannot overwrite what the newer holder wrote: the write fails with SsprError('state_conflict'). Writes outside a
 * turn (token 0) stay unconditional with respect to fencing and never lower the stored token.
 *
 * Redis failures surface as SsprError('state_unavailable') so the turn fails closed (R22).
 */
export class RedisStorage implements Storage {
  private readonly prefix: string;
  private readonly ttlSeconds: number;
  private readonly scope: TurnScope | undefined;
  private readonly rider: WriteRider | undefined;
  private readonly writeScript = new LuaScript(WRITE_LUA);

  constructor(
    private readonly redis: Redis,
    options?: RedisStorageOptions,
  ) {
    this.prefix = options?.prefix ?? 'sspr:state:';
    this.ttlSeconds = options?.ttlSeconds ?? 86400;
    this.scope = options?.scope;
    this.rider = options?.rider;
    if (!Number.isInteger(this.ttlSeconds) || this.ttlSeconds <= 0) {
      throw new SsprError('config_invalid', 'RedisStorage ttlSeconds must be a positive integer');
    }
  }

  /** The client this storage uses (TurnGuard prefetches through it). */
  get client(): Redis {
    return this.redis;
  }

  /** The Redis key of a storage key. */
  redisKey(key: string): string {
    return this.prefix + key;
  }

  async read(keys: string[]): Promise<StoreItems> {
    if (!keys) throw new ReferenceError('Keys are required when reading.');
    const result: StoreItems = {};
    const current = this.scope?.current();
    const prefetched = current?.prefetchedBy === this ? current.prefetched : undefined;
    const toFetch: string[] = [];
    for (const key of keys) {
      if (prefetched?.has(key)) {
        const raw = prefetched.get(key) ?? null;
        prefetched.delete(key);
        const item = decode(raw);
        if (item !== undefined) result[key] = item;
      } else {
        toFetch.push(key);
      }
    }
    if (toFetch.length === 0) return result;
    const raws = await this.fetchRaw(toFetch);
    toFetch.forEach((key, i) => {
      const item = decode(raws[i] ?? null);
      if (item !== undefined) result[key] = item;
    });
    return result;
  }

  async write(changes: StoreItems): Promise<void> {
    if (!changes) throw new ReferenceError('Changes are required when writing.');
    const scope = this.scope?.current();
    const calls: WriteCall[] = Object.keys(changes).map((key) => {
      const item = (changes[key] ?? {}) as Record<string, unknown>;
      const { eTag, ...data } = item;
      const expected = typeof eTag === 'string' && eTag !== '*' ? eTag : '';
      const fence = scope && scope.isFenced(key) ? scope.lease.token : 0;
      const newETag = randomBytes(9).toString('base64url');
      return {
        key,
        redisKey: this.redisKey(key),
        args: [expected, newETag, fence, this.ttlSeconds, JSON.stringify(data)],
      };
    });
    if (calls.length === 0) return;
    for (const c of calls) scope?.prefetched.delete(c.key);
    // Issue 15: the turn's last write — the lock release follows it in the same round trip. EVAL, not EVALSHA, so a
    // NOSCRIPT retry can never put the write behind the release.
    const last = scope?.lastWrite?.armed === true && calls.some((c) => scope.isFenced(c.key)) ? scope.lastWrite : undefined;
    const pending = this.runWrites(calls, last !== undefined);
    last?.release();
    // Issue 15: waiting background writes (insights counters) leave in this same socket write.
    this.rider?.flush();
    const replies = await pending;
    let conflict: Error | undefined;
    calls.forEach((c, i) => {
      const reply = replies[i];
      if (reply === 'etag') conflict ??= new Error(`Storage: error writing "${c.key}" due to eTag conflict.`);
      else if (reply === 'fence') conflict ??= new SsprError('state_conflict', 'eTag conflict: stale fencing token, write refused');
    });
    if (conflict) throw conflict;
  }

  async delete(keys: string[]): Promise<void> {
    if (!keys || keys.length === 0) return;
    const scope = this.scope?.current();
    for (const k of keys) scope?.prefetched.delete(k);
    try {
      const p = slotPipeline(this.redis);
      for (const k of keys) p.del(this.redisKey(k));
      const res = await p.exec();
      for (const [err] of res ?? []) if (err) throw err;
    } catch (e) {
      throw unavailable(e);
    }
  }

  private async fetchRaw(keys: string[]): Promise<(string | null)[]> {
    try {
      if (keys.length === 1) return [await this.redis.get(this.redisKey(keys[0]!))];
      const p = slotPipeline(this.redis);
      for (const k of keys) p.get(this.redisKey(k));
      const res = (await p.exec()) ?? [];
      return res.map(([err, v]) => {
        if (err) throw err;
        return typeof v === 'string' ? v : null;
      });
    } catch (e) {
      throw unavailable(e);
    }
  }

  private async runWrites(calls: WriteCall[], evalOnly = false): Promise<unknown[]> {
    try {
      if (calls.length === 1) {
        const c = calls[0]!;
        if (evalOnly) return [await this.redis.eval(this.writeScript.source, 1, c.redisKey, ...c.args)];
        return [await this.writeScript.run(this.redis, [c.redisKey], c.args)];
      }
      const p = slotPipeline(this.redis);
      for (const c of calls) this.writeScript.queue(p, [c.redisKey], c.args);
      const res = (await p.exec()) ?? [];
      const replies: unknown[] = res.map(([, v]) => v);
      const missing = res.flatMap(([err], i) => (err && isNoScript(err) ? [i] : []));
      if (missing.length > 0) {
        const retry = slotPipeline(this.redis);
        for (const i of missing) this.writeScript.queueEval(retry, [calls[i]!.redisKey], calls[i]!.args);
        const again = (await retry.exec()) ?? [];
        missing.forEach((i, j) => {
          const [err, v] = again[j] ?? [new Error('no reply'), null];
          if (err) throw err;
          replies[i] = v;
        });
      }
      res.forEach(([err]) => {
        if (err && !isNoScript(err)) throw err;
      });
      return replies;
    } catch (e) {
      throw unavailable(e);
    }
  }
}

function decode(raw: string | null): Record<string, unknown> | undefined {
  if (raw === null) return undefined;
  const a = raw.indexOf('\n');
  const b = a < 0 ? -1 : raw.indexOf('\n', a + 1);
  if (b < 0) return undefined;
  const data = JSON.parse(raw.slice(b + 1)) as Record<string, unknown>;
  return { ...data, eTag: raw.slice(0, a) };
}

function unavailable(e: unknown): SsprError {
  if (e instanceof SsprError) return e;
  return new SsprError('state_unavailable', 'conversation state store unavailable', { cause: e });
}
