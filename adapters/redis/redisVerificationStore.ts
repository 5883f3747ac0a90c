import type Redis from 'ioredis';
import { SsprError } from '../../domain/errors';
import type { CodeAttemptOutcome, CodeSlot, VerificationStore } from '../../domain/ports/verificationStore';
import { steppedRecord, type FlowStep } from '../../domain/ports/flowStore';
import type { HmacKeyRing } from '../crypto/keyRing';
import { LuaScript } from './luaScript';
import type { RedisKeys } from './redisKeys';
import type { RecordChange } from '../../domain/ports/recordChange';
import { LUA_APPLY_CHANGE, changeParts } from './recordChangeLua';
import type { UserRecordMemo } from './userRecordMemo';

/** How long after expiry a code is still reported as 'expired' rather than 'no_code'. */
const ISSUED_MARKER_EXTRA_MS = 3_600_000;

// KEYS: code, issued-marker[, flow]. ARGV: record, lifetime ms, marker ms, then expected flow version ('' = no flow
// step), new version, new flow record. Expiry is part of the SET that creates the key (R6); the expiry returned is
// computed from the server's clock (F17). Issue 15: with a flow key the flow's compare-and-set is checked first and
// done in the same script (the send's "code stored + flow at code sent", like F16's check), so a send costs no
// separate flow write; all keys share the user's hash tag (F20).
const CREATE = new LuaScript(`
if ARGV[4] ~= '' then
  local v = redis.call('HGET', KEYS[3], 'v')
  if not v or tonumber(v) ~= tonumber(ARGV[4]) then return 'flow_moved' end
  redis.call('HSET', KEYS[3], 'v', ARGV[5], 'rec', ARGV[6])
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
local t = redis.call('TIME')
return {t[1], t[2]}
`);

/**
 * The code check of ATTEMPT and REGISTER (one definition): reads the record, counts the try first (R8), compares in
 * constant time; returns early with the outcome unless the code matched (then the caller's script goes on after it).
 * `pairsFrom`: a Lua expression, the ARGV index of the submitted code's first kid/mac pair.
 */
const luaCheckCode = (pairsFrom: string): string => `
local v = redis.call('GET', KEYS[1])
if not v then
  if redis.call('EXISTS', KEYS[2]) == 1 then return 'expired' end
  return 'no_code'
end
local kid, mac, tries = string.match(v, '^([^|]+)|([0-9a-f]+)|(%d+)$')
if not kid then return redis.error_reply('corrupt code record') end
tries = tonumber(tries) + 1
local max = tonumber(ARGV[1])
redis.call('SET', KEYS[1], kid .. '|' .. mac .. '|' .. tries, 'KEEPTTL')
if tries > max then return 'too_many_tries' end
local candidate = ''
for i = ${pairsFrom}, #ARGV, 2 do
  if ARGV[i] == kid then candidate = ARGV[i + 1] end
end
local diff = 0
if #candidate ~= #mac then diff = 1 end
for i = 1, #mac do
  local a = string.byte(mac, i)
  local b = string.byte(candidate, i) or 0
  diff = bit.bor(diff, bit.bxor(a, b))
end
if diff ~= 0 then
  if tries >= max then return 'too_many_tries' end
  return 'invalid'
end
`;

// KEYS: code, issued-marker[, flow]. ARGV: maxTries, expected flow version ('' = no flow step), new version, new
// flow record, then kid/mac pairs of the submitted code under every key of the ring.
// The try is counted first (R8); the compare is constant-time; a match deletes the code in the same script (R7).
// F16: with a flow key, a match also advances the flow (compare-and-set on its version) in this same script: the
// flow is checked before anything is consumed, so the script either consumes the code and advances the flow, or
// leaves both ('flow_moved'). All keys share the user's hash tag (F20), so this is one slot in a Cluster.
const ATTEMPT = new LuaScript(`${luaCheckCode('5')}
if ARGV[2] ~= '' then
  local v = redis.call('HGET', KEYS[3], 'v')
  if not v or tonumber(v) ~= tonumber(ARGV[2]) then return 'flow_moved' end
  redis.call('HSET', KEYS[3], 'v', ARGV[3], 'rec', ARGV[4])
end
redis.call('DEL', KEYS[1], KEYS[2])
return 'ok'
`);

// KEYS: code, issued-marker, then the change's keys (methods hash, step-up, flags). ARGV: maxTries, the change's
// block (recordChangeLua.ts; its 7th value is the number of removed ids that follow), then the kid/mac pairs.
// Issue 15, F16 for security info: a matching registration code is consumed AND the change made (method active,
// flags, the bootstrap's proof, a replaced method removed) in this one script — all of it or none.
const REGISTER = new LuaScript(`${LUA_APPLY_CHANGE}${luaCheckCode('9 + tonumber(ARGV[8])')}
apply_change(2)
redis.call('DEL', KEYS[1], KEYS[2])
return 'ok'
`);

const OUTCOMES: readonly CodeAttemptOutcome[] = ['ok', 'invalid', 'expired', 'too_many_tries', 'no_code', 'flow_moved'];

/** VerificationStore on Redis: `kid|hmac|tries` under a per-user hash-tagged key, one Lua script per attempt. */
export class RedisVerificationStore implements VerificationStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly hmac: HmacKeyRing,
    /** The per-turn record memo: a registration's change writes the user's record, so the memo re-reads behind it. */
    private readonly memo?: UserRecordMemo,
  ) {}

  private slotKeys(slot: CodeSlot): [string, string] {
    return [this.keys.code(slot.user, slot.purpose, slot.methodId), this.keys.codeIssued(slot.user, slot.purpose, slot.methodId)];
  }

  async create(slot: CodeSlot, code: string, lifetimeSeconds: number, step?: FlowStep): Promise<{ expiresAt: number }> {
    const { kid, mac } = this.hmac.sign(this.material(slot, code));
    const ms = lifetimeSeconds * 1000;
    const keys: string[] = this.slotKeys(slot);
    const flowArgs = this.flowStep(slot, keys, step);
    try {
      const t = (await CREATE.run(this.redis, keys, [`${kid}|${mac}|0`, ms, ms + ISSUED_MARKER_EXTRA_MS, ...flowArgs])) as [string | number, string | number] | string;
      if (t === 'flow_moved') throw new SsprError('state_conflict', 'verification flow changed concurrently');
      if (!Array.isArray(t)) throw new SsprError('internal', 'unexpected reply from the code script');
      return { expiresAt: Number(t[0]) * 1000 + Math.floor(Number(t[1]) / 1000) + ms };
    } catch (cause) {
      if (cause instanceof SsprError) throw cause;
      throw new SsprError('state_unavailable', 'could not store the one-time code', { cause });
    }
  }

  /** A flow step's key (pushed onto `keys`) and script arguments: expected version, new version, new record. */
  private flowStep(slot: CodeSlot, keys: string[], step?: FlowStep): (string | number)[] {
    if (!step) return ['', '', ''];
    if (step.flow.user.tenantId !== slot.user.tenantId || step.flow.user.objectId !== slot.user.objectId)
      throw new SsprError('internal', 'a flow step must belong to the code’s user');
    const next = steppedRecord(step);
    keys.push(this.keys.flow(step.flow.user, step.flow.flowId));
    // Issue 15: a flow read ahead for the turn is not served after this write.
    this.memo?.flowWritten(this.keys.flow(step.flow.user, step.flow.flowId));
    return [step.flow.version, next.version, JSON.stringify(next)];
  }

  async attempt(slot: CodeSlot, code: string, maxTries: number, step?: FlowStep, change?: RecordChange): Promise<CodeAttemptOutcome> {
    const all = this.hmac.signAll(this.material(slot, code));
    const pairs = Object.entries(all).flat();
    const keys: string[] = this.slotKeys(slot);
    if (change) {
      if (step) throw new SsprError('internal', 'a code check takes a flow step or a record change, not both');
      const c = changeParts(this.keys, slot.user, change, keys.length);
      return this.outcome(() => REGISTER.run(this.redis, [...keys, ...c.keys], [maxTries, ...c.args, ...pairs], () => this.memo?.wrote(slot.user)));
    }
    const flowArgs: (string | number)[] = ['', '', ''];
    if (step) {
      if (step.flow.user.tenantId !== slot.user.tenantId || step.flow.user.objectId !== slot.user.objectId)
        throw new SsprError('internal', 'a flow step must belong to the code’s user');
      const next = steppedRecord(step);
      keys.push(this.keys.flow(step.flow.user, step.flow.flowId));
      this.memo?.flowWritten(this.keys.flow(step.flow.user, step.flow.flowId));
      flowArgs.splice(0, 3, step.flow.version, next.version, JSON.stringify(next));
    }
    return this.outcome(() => ATTEMPT.run(this.redis, keys, [maxTries, ...flowArgs, ...pairs]));
  }

  private async outcome(run: () => Promise<unknown>): Promise<CodeAttemptOutcome> {
    let r: unknown;
    try {
      r = await run();
    } catch (cause) {
      throw new SsprError('state_unavailable', 'could not check the one-time code', { cause });
    }
    const outcome = OUTCOMES.find((o) => o === r);
    if (!outcome) throw new SsprError('internal', 'unexpected reply from the code script');
    return outcome;
  }

  async discard(slot: CodeSlot): Promise<void> {
    await this.redis.del(...this.slotKeys(slot));
  }

  /** Binding the HMAC to the slot means a code for one flow/method never matches another. */
  private material(slot: CodeSlot, code: string): string {
    return `${slot.user.tenantId}:${slot.user.objectId}:${slot.purpose}:${slot.methodId}:${code}`;
  }
}
