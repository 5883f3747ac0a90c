import type Redis from 'ioredis';
import { SsprError, isSsprError } from '../../domain/errors';
import type { UserRef } from '../../domain/model/user';
import type { Clock } from '../../domain/ports/clock';
import { RedisKeys } from './redisKeys';
import { LuaScript } from './luaScript';

/** Shared options of the recovery adapters (flows, grants, R9 block, daily cap). */
export interface RecoveryRedisOptions {
  /** Key prefix (config REDIS_KEY_PREFIX, e.g. `sspr:`). */
  readonly prefix: string;
  /**
   * Time source for expiry decisions. Omit in production: scripts then read Redis TIME, so an instance with a
   * skewed clock cannot stretch a grant or shorten a block (F17). Tests pass a FixedClock.
   */
  readonly clock?: Clock;
}

/** Lua prelude: `now` (ms) from ARGV[1], or Redis TIME when ARGV[1] is '0'. */
export const LUA_NOW = `
local now = tonumber(ARGV[1])
if now == nil or now <= 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** Base of the recovery adapters: key naming under the user's hash tag (F20), time argument, error wrapping. */
export abstract class RecoveryRedisBase {
  private readonly keys: RedisKeys;

  protected constructor(
    protected readonly redis: Redis,
    private readonly options: RecoveryRedisOptions,
  ) {
    this.keys = new RedisKeys(options.prefix);
  }

  protected key(user: UserRef, suffix: string): string {
    return `${this.options.prefix}${this.keys.userTag(user)}:${suffix}`;
  }

  /** ARGV[1] for LUA_NOW. */
  protected nowArg(): string {
    return this.options.clock ? String(this.options.clock.now()) : '0';
  }

  /** The test clock's time, or null when Redis decides (production, F17). */
  protected testNow(): number | null {
    return this.options.clock ? this.options.clock.now() : null;
  }

  /** `afterSend`: called right after the script is issued (the per-turn record memo re-reads behind it). */
  protected async run(script: LuaScript, keys: readonly string[], args: readonly (string | number)[], what: string, afterSend?: () => void): Promise<unknown> {
    return this.call(() => script.run(this.redis, keys, [this.nowArg(), ...args], afterSend), what);
  }

  protected async call<T>(fn: () => Promise<T>, what: string): Promise<T> {
    try {
      return await fn();
    } catch (cause) {
      if (isSsprError(cause)) throw cause;
      throw new SsprError('state_unavailable', `${what}: state store unavailable`, { cause });
    }
  }
}

export { LuaScript };
