import type { Cluster, Redis } from 'ioredis';
import type { PaceKey, SendPacer } from '../../domain/campaigns/ports';
import { LuaScript } from './luaScript';
import type { WriteRider } from './writeRider';

/**
 * GCRA reservation, per tenant and per conversation at once. Times come from Redis TIME, so every worker shares
 * one clock (F17). A send is scheduled at the earliest moment both limits allow; that slot is taken and its wait
 * returned, so concurrent callers line up instead of retrying (one round trip per send, no thundering herd).
 * KEYS[1] tenant TAT, KEYS[2] conversation TAT (same hash tag: the tenant's).
 * ARGV: tenant interval ms, tenant burst, conversation interval ms, conversation burst, max wait ms.
 * Returns {1, wait, at}: reserved, send after wait ms (at = the slot, Redis ms); {2, ms}: the conversation is paused (Retry-After), nothing taken
 * from the tenant, ask again after ms; {3, wait}: the tenant's wait is longer than max wait, nothing reserved.
 * Only the binding constraint is taken, so a paused conversation never pushes the tenant's schedule forward.
 */
const RESERVE = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ti, tb, ci, cb, maxWait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local ttat = tonumber(redis.call('GET', KEYS[1]) or '0')
local ctat = tonumber(redis.call('GET', KEYS[2]) or '0')
local tAt = math.max(now, ttat - (tb - 1) * ti)
local cAt = math.max(now, ctat - (cb - 1) * ci)
-- The conversation is the later constraint (paused by Retry-After): take nothing from the tenant, come back then.
if cAt > tAt then return {2, math.ceil(cAt - now)} end
local wait = tAt - now
if wait > maxWait then return {3, math.ceil(wait)} end
local nt = math.max(ttat, tAt) + ti
local nc = math.max(ctat, tAt) + ci
redis.call('SET', KEYS[1], tostring(nt), 'PX', math.ceil(nt - now + 1000))
redis.call('SET', KEYS[2], tostring(nc), 'PX', math.ceil(nc - now + 1000))
return {1, math.ceil(wait), tAt}
`);

/** Retry-After: push the conversation's TAT so that no send is scheduled before now + ms. */
const PAUSE = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ci, cb, ms = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local ctat = tonumber(redis.call('GET', KEYS[1]) or '0')
local want = now + ms + (cb - 1) * ci
if want > ctat then redis.call('SET', KEYS[1], tostring(want), 'PX', math.ceil(want - now + 1000)) end
return 1
`);

export interface RedisSendPacerOptions {
  readonly prefix: string;
  /** Sends per second per tenant (R39 default 30, under Teams' 50 RPS per app per tenant). */
  readonly tenantPerSecond: number;
  /** Longest wait one acquire sleeps; longer waits are handed back to the caller. */
  readonly maxWaitMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called with every slot granted (Redis ms): the F22 test and the bench count tokens per tenant with it. */
  readonly onGrant?: (key: PaceKey, atMs: number) => void;
  /**
   * Issue 15 (the bot's pacer only): the first reservation of an acquire waits for the turn's last write and leaves
   * in its socket write (adapters/redis/writeRider.ts; ≤ 20 ms without a turn). A proactive send started inside a
   * turn (the R18 notice) then costs that turn no round trip of its own. The campaign workers' pacers have none.
   */
  readonly rider?: WriteRider;
}

/**
 * Teams' per-conversation limits (7/s, 8/2 s, 60/30 s, 1,800/h) as one GCRA: one send per 2,010 ms with a burst of
 * 6 keeps every window under its limit (6+1 per 1 s and 2 s, 6+15 per 30 s, 6+1,791 per hour).
 */
export const CONVERSATION_INTERVAL_MS = 2010;
export const CONVERSATION_BURST = 6;

/** The pacer every campaign worker (and, with Redis, every bot instance) shares: limits held in Redis (R39). */
export class RedisSendPacer implements SendPacer {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly o: RedisSendPacerOptions,
  ) {
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  private keys(key: PaceKey): [string, string] {
    const tag = `{t:${key.tenantId ?? '-'}}`;
    return [`${this.o.prefix}pace:${tag}:tenant`, `${this.o.prefix}pace:${tag}:conv:${key.conversationId}`];
  }

  async acquire(key: PaceKey): Promise<{ readonly ok: true } | { readonly ok: false; readonly retryInMs: number }> {
    const maxWait = this.o.maxWaitMs ?? 15_000;
    let waited = 0;
    if (this.o.rider) await this.o.rider.next();
    for (;;) {
      const [code, ms, at] = (await RESERVE.run(this.redis as Redis, this.keys(key), [
        1000 / this.o.tenantPerSecond,
        1,
        CONVERSATION_INTERVAL_MS,
        CONVERSATION_BURST,
        maxWait,
      ])) as [number, number, number | undefined];
      if (code === 3) return { ok: false, retryInMs: ms };
      if (code === 2) {
        if (waited + ms > maxWait) return { ok: false, retryInMs: ms };
        waited += ms;
        await this.sleep(ms);
        continue;
      }
      if (at !== undefined) this.o.onGrant?.(key, Number(at));
      if (ms > 0) await this.sleep(ms);
      return { ok: true };
    }
  }

  async pause(key: PaceKey, ms: number): Promise<void> {
    await PAUSE.run(this.redis as Redis, [this.keys(key)[1]], [CONVERSATION_INTERVAL_MS, CONVERSATION_BURST, Math.ceil(ms)]);
  }
}
