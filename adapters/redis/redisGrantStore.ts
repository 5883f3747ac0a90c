import type Redis from 'ioredis';
import { SsprError, fail, ok } from '../../domain/errors';
import type { UserRef } from '../../domain/model/user';
import type { Grant, GrantClaim, GrantRefusal, GrantSettlement, GrantStore, RecoverySlot } from '../../domain/ports/grantStore';
import type { RecoveryGoal } from '../../domain/verification/stateMachine';
import { LUA_NOW, LuaScript, RecoveryRedisBase, type RecoveryRedisOptions } from './recoveryRedis';

/** Grant and idempotency records stay a day after use, so a replayed submit answers `consumed`, not `no_grant`. */
const KEEP_MS = 24 * 60 * 60 * 1000;
const FIELDS = ['conv', 'goal', 'issuedAt', 'expiresAt', 'state'] as const;

/**
 * Lua that issues a flow's grant at `key` unless it exists (idempotent per flow) and leaves its fields (conv, goal,
 * issuedAt, expiresAt, state) in the local `grant`. Needs `now` (LUA_NOW); the other arguments are Lua expressions.
 * The one definition of a grant's shape, also used by the TOTP acceptance script (RedisTotpReplayCache).
 */
export function luaIssueGrant(key: string, a: { lifetimeMs: string; maxFlowMs: string; flowStartedAt: string; conv: string; goal: string }): string {
  return `
if redis.call('EXISTS', ${key}) == 0 then
  local exp = math.min(now + tonumber(${a.lifetimeMs}), tonumber(${a.flowStartedAt}) + tonumber(${a.maxFlowMs}))
  redis.call('HSET', ${key}, 'conv', ${a.conv}, 'goal', ${a.goal}, 'issuedAt', now, 'expiresAt', exp, 'state', 'ready')
  redis.call('PEXPIRE', ${key}, math.max(exp - now, 0) + ${KEEP_MS})
end
local grant = redis.call('HMGET', ${key}, 'conv', 'goal', 'issuedAt', 'expiresAt', 'state')
`;
}

// KEYS[1] grant; ARGV: now, lifetimeMs, maxFlowMs, flowStartedAt, conv, goal. Idempotent per flow.
const ISSUE = new LuaScript(`${LUA_NOW}${luaIssueGrant('KEYS[1]', { lifetimeMs: 'ARGV[2]', maxFlowMs: 'ARGV[3]', flowStartedAt: 'ARGV[4]', conv: 'ARGV[5]', goal: 'ARGV[6]' })}
return grant
`);

// KEYS[1] grant, KEYS[2] idempotency key, KEYS[3] the user's recoveries (C6, RedisRecoveryCounter's sorted set);
// ARGV: now, conv, goal, attemptId, cap max ('' = no cap), cap window ms.
// Checks, the C6 slot and the move ready -> writing with the idempotency record happen in one script (R27, F16, C6):
// two claims of two grants of one user cannot both take the last slot. The slot is a member (the attempt id) at the
// claim's time; SETTLE removes it unless the write was consumed. All keys share the user's hash tag (F20).
const CLAIM = new LuaScript(`${LUA_NOW}
local g = redis.call('HMGET', KEYS[1], 'conv', 'goal', 'issuedAt', 'expiresAt', 'state')
if not g[5] then return {'no_grant'} end
if g[2] ~= ARGV[3] then return {'no_grant'} end
if g[1] ~= ARGV[2] then return {'wrong_conversation'} end
if g[5] == 'writing' then return {'in_progress'} end
if g[5] ~= 'ready' then return {'consumed'} end
if now >= tonumber(g[4]) then return {'expired'} end
if ARGV[5] ~= '' then
  local window = tonumber(ARGV[6])
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
  local all = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
  if #all / 2 >= tonumber(ARGV[5]) then
    local out = {'recovery_cap'}
    for i = 2, #all, 2 do out[#out + 1] = all[i] end
    return out
  end
  redis.call('ZADD', KEYS[3], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[3], window)
end
redis.call('HSET', KEYS[1], 'state', 'writing', 'attempt', ARGV[4], 'claimedAt', now)
redis.call('SET', KEYS[2], ARGV[4] .. ':writing:' .. now, 'PX', ${KEEP_MS})
return {'ok', g[1], g[2], g[3], g[4], tostring(now)}
`);

// KEYS[1] grant, KEYS[2] idempotency key, KEYS[3] recoveries; ARGV: now, attemptId, outcome (consumed|released|spent).
// Nothing written (released, spent): the C6 slot the claim reserved is given back.
const SETTLE = new LuaScript(`${LUA_NOW}
local g = redis.call('HMGET', KEYS[1], 'state', 'attempt')
if g[1] ~= 'writing' or g[2] ~= ARGV[2] then return 0 end
if ARGV[3] ~= 'consumed' then redis.call('ZREM', KEYS[3], ARGV[2]) end
if ARGV[3] == 'released' then
  redis.call('HSET', KEYS[1], 'state', 'ready')
  redis.call('HDEL', KEYS[1], 'attempt', 'claimedAt')
else
  redis.call('HSET', KEYS[1], 'state', ARGV[3])
end
redis.call('SET', KEYS[2], ARGV[2] .. ':' .. ARGV[3] .. ':' .. now, 'PX', ${KEEP_MS})
return 1
`);

export interface GrantTimes {
  /** policy.grant.lifetimeSeconds × 1000 (R16: 10 min). */
  readonly lifetimeMs: number;
  /** policy.grant.maxFlowSeconds × 1000 (R16: never past 15 min from the flow's start). */
  readonly maxFlowMs: number;
}

/**
 * Grants in Redis: `{u:<tenant>:<oid>}:grant:<flowId>` (hash) and `{u:…}:idem:<flowId>` (the R27 idempotency
 * record `attemptId:state:time`), both under the user's hash tag so the claim script is single-slot (F20).
 */
export class RedisGrantStore extends RecoveryRedisBase implements GrantStore {
  constructor(
    redis: Redis,
    options: RecoveryRedisOptions,
    private readonly times: GrantTimes,
  ) {
    super(redis, options);
  }

  async issue(input: {
    user: UserRef;
    conversationId: string;
    flowId: string;
    goal: RecoveryGoal;
    flowStartedAt: number;
  }): Promise<Grant> {
    const res = await this.run(
      ISSUE,
      [this.key(input.user, `grant:${input.flowId}`)],
      [this.times.lifetimeMs, this.times.maxFlowMs, input.flowStartedAt, input.conversationId, input.goal],
      'issue grant',
    );
    const f = asStrings(res, FIELDS.length);
    return toGrant(input.user, input.flowId, f[0], f[1], f[2], f[3]);
  }

  async claim(user: UserRef, conversationId: string, flowId: string, goal: RecoveryGoal, attemptId: string, slot?: RecoverySlot): Promise<GrantClaim> {
    const res = await this.run(
      CLAIM,
      [this.key(user, `grant:${flowId}`), this.key(user, `idem:${flowId}`), this.key(user, 'recoveries')],
      [conversationId, goal, attemptId, slot ? slot.max : '', slot ? Math.round(slot.windowMs) : ''],
      'claim grant',
    );
    const f = asStrings(res, 1);
    if (f[0] === 'recovery_cap') return { ok: false, reason: 'recovery_cap', completions: f.slice(1).map(Number) };
    if (f[0] !== 'ok') return fail(f[0] as GrantRefusal);
    const g = asStrings(res, 6);
    return ok({ grant: toGrant(user, flowId, g[1], g[2], g[3], g[4]), claimedAt: Number(g[5]) });
  }

  async settle(user: UserRef, flowId: string, attemptId: string, outcome: GrantSettlement): Promise<void> {
    await this.run(
      SETTLE,
      [this.key(user, `grant:${flowId}`), this.key(user, `idem:${flowId}`), this.key(user, 'recoveries')],
      [attemptId, outcome],
      'settle grant',
    );
  }

  async state(user: UserRef, flowId: string): Promise<'ready' | 'writing' | 'consumed' | 'spent' | null> {
    const s = await this.call(() => this.redis.hget(this.key(user, `grant:${flowId}`), 'state'), 'read grant');
    return s === null ? null : (s as 'ready' | 'writing' | 'consumed' | 'spent');
  }
}

function asStrings(res: unknown, n: number): string[] {
  if (!Array.isArray(res) || res.length < n) throw new SsprError('internal', 'unexpected reply from the grant script');
  return res.map((x: unknown) => (typeof x === 'string' ? x : x === null ? '' : String(x as number)));
}

function toGrant(user: UserRef, flowId: string, conv?: string, goal?: string, issuedAt?: string, expiresAt?: string): Grant {
  return {
    flowId,
    user: { tenantId: user.tenantId, objectId: user.objectId },
    conversationId: conv ?? '',
    goal: goal === 'unlock' ? 'unlock' : 'reset',
    issuedAt: Number(issuedAt),
    expiresAt: Number(expiresAt),
  };
}
