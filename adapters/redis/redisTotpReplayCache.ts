import type Redis from 'ioredis';
import { SsprError } from '../../domain/errors';
import type { UserRef } from '../../domain/model/user';
import type { Clock } from '../../domain/ports/clock';
import { steppedRecord } from '../../domain/ports/flowStore';
import type { TotpAcceptance, TotpAccepted, TotpReplayCache } from '../../domain/ports/totp';
import { LUA_NOW, LuaScript } from './recoveryRedis';
import { luaIssueGrant } from './redisGrantStore';
import type { RedisKeys } from './redisKeys';
import type { UserRecordMemo } from './userRecordMemo';
import { LUA_APPLY_CHANGE, changeParts } from './recordChangeLua';

// KEYS: used step, methods hash[, flow[, grant]]. ARGV: now ('0' = Redis TIME, F17), step ttl s, method id, stamp
// field, stamp, expected flow version ('' = no flow step), new version, new flow record, then (grant) lifetime ms,
// max flow ms, flow start, conversation, goal; then (from ARGV[14], after the grant's, '' when none) a security-info
// change's block (recordChangeLua.ts), whose keys follow the others.
// One script per accepted TOTP (F16, issue 15): the flow's version is checked first, then the step is claimed
// (SET NX, R12) — a replay or a moved flow writes nothing — and only then the method stamp (the field scheme of
// RedisMethodStore: `<id>|<field>`, never recreating a removed method), the flow step and the grant. All keys carry
// the user's hash tag (F20): one slot in a Cluster.
const ACCEPT = new LuaScript(`${LUA_NOW}${LUA_APPLY_CHANGE}
if ARGV[6] ~= '' then
  local v = redis.call('HGET', KEYS[3], 'v')
  if not v or tonumber(v) ~= tonumber(ARGV[6]) then return {'flow_moved'} end
end
if not redis.call('SET', KEYS[1], '1', 'EX', ARGV[2], 'NX') then return {'replayed'} end
if redis.call('HEXISTS', KEYS[2], ARGV[3]) == 1 then
  redis.call('HSET', KEYS[2], ARGV[3] .. '|' .. ARGV[4], ARGV[5])
end
if ARGV[14] ~= nil and ARGV[14] ~= '' then apply_change(14) end
if ARGV[6] == '' then return {'ok'} end
redis.call('HSET', KEYS[3], 'v', ARGV[7], 'rec', ARGV[8])
if ARGV[9] == nil or ARGV[9] == '' then return {'ok'} end
${luaIssueGrant('KEYS[4]', { lifetimeMs: 'ARGV[9]', maxFlowMs: 'ARGV[10]', flowStartedAt: 'ARGV[11]', conv: 'ARGV[12]', goal: 'ARGV[13]' })}
return {'ok', grant[3], grant[4]}
`);

/**
 * Used TOTP steps per user, a key per step with a 120 s expiry (≥ 90 s covers the ±1 step window) (R12), claimed in
 * the one script that also takes the accepted proof's writes (method stamp, flow step, grant).
 */
export class RedisTotpReplayCache implements TotpReplayCache {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    /** The grant's time source, as RedisGrantStore's (RecoveryRedisOptions.clock): omitted = Redis TIME (F17). */
    private readonly expiryClock?: Clock,
    /** The per-turn record memo: the script changes the methods hash, so the memo re-reads behind it (issue 15). */
    private readonly memo?: UserRecordMemo,
    private readonly ttlSeconds = 120,
  ) {}

  async accept(user: UserRef, step: number, a: TotpAcceptance): Promise<TotpAccepted> {
    const keys = [this.keys.totpStep(user, step), this.keys.methods(user)];
    const now = this.expiryClock ? String(this.expiryClock.now()) : '0';
    const args: (string | number)[] = [now, this.ttlSeconds, a.methodId, a.mark, a.at, '', '', ''];
    if (a.step) {
      const flow = a.step.flow;
      if (flow.user.tenantId !== user.tenantId || flow.user.objectId !== user.objectId) throw new SsprError('internal', 'a flow step must belong to the TOTP’s user');
      const next = steppedRecord(a.step);
      keys.push(this.keys.flow(user, flow.flowId));
      this.memo?.flowWritten(this.keys.flow(user, flow.flowId));
      args.splice(5, 3, flow.version, next.version, JSON.stringify(next));
      if (a.grant) {
        keys.push(this.keys.grant(user, flow.flowId));
        args.push(a.grant.lifetimeMs, a.grant.maxFlowMs, a.grant.flowStartedAt, a.grant.conversationId, a.grant.goal);
      }
    }
    if (a.change) {
      const c = changeParts(this.keys, user, a.change, keys.length);
      while (args.length < 13) args.push('');
      keys.push(...c.keys);
      args.push(...c.args);
    }
    let r: unknown;
    try {
      r = await ACCEPT.run(this.redis, keys, args, () => this.memo?.wrote(user));
    } catch (cause) {
      throw new SsprError('state_unavailable', 'could not record the authenticator code', { cause });
    }
    const f = Array.isArray(r) ? r.map((x: unknown) => (typeof x === 'string' ? x : String(x as number))) : [];
    if (f[0] === 'replayed' || f[0] === 'flow_moved') return { ok: false, reason: f[0] };
    if (f[0] !== 'ok') throw new SsprError('internal', 'unexpected reply from the TOTP script');
    const stepped = a.step !== undefined;
    return f.length >= 3 ? { ok: true, stepped, grant: { issuedAt: Number(f[1]), expiresAt: Number(f[2]) } } : { ok: true, stepped };
  }
}
