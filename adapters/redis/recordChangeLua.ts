import type { UserRef } from '../../domain/model/user';
import type { RecordChange } from '../../domain/ports/recordChange';
import type { RedisKeys } from './redisKeys';

/**
 * R31: the one Lua definition of recording a step-up proof. `{u:…}:stepup` holds the user's live proofs as
 * space-separated `<at>/<methodId>` entries (`<at>/` for a bootstrap; a bare `<at>`, the earlier format, reads as a
 * proof of no method). `add_proof(key, at, window, id)` drops entries older than the window (measured from `at`) and
 * an earlier entry of the same method, appends the new one, keeps the newest 8 and sets the key with its expiry in the
 * same SET — one script, so two proofs recorded at once (chat and tab) both stay (no read-modify-write race).
 */
export const LUA_ADD_PROOF = `
local function add_proof(key, at, win, id)
  local oldest = tonumber(at) - tonumber(win) * 1000
  local keep = {}
  local before = redis.call('GET', key)
  if before then
    for e in string.gmatch(before, '%S+') do
      local t, mid = string.match(e, '^(%d+)/?(.*)$')
      if t and tonumber(t) > oldest and (id == '' or mid ~= id) then table.insert(keep, e) end
    end
  end
  table.insert(keep, at .. '/' .. id)
  while #keep > 8 do table.remove(keep, 1) end
  redis.call('SET', key, table.concat(keep, ' '), 'EX', win)
end
`;

/**
 * The one Lua definition of a {@link RecordChange} (issue 15, F16 for security info), for the scripts that accept a
 * registration proof (a registration code, an authenticator's first code) and make the change in the same step.
 * `apply_change(c)` reads its block of ARGV from index `c`: the index of its first key in KEYS (methods hash, then
 * the step-up key, then one key per flag), the confirmed method's id ('' none) and time, the proof's time ('' none)
 * and window in seconds, the number of flags, the number of removed methods, the removed ids. The writes are those of
 * RedisMethodStore (`<id>|confirmedAt`, only while the method exists; HDEL of the record and its stamps) and
 * RedisStepUpStore (`add_proof` on `stepup`, `SET flag:<name> 1`).
 */
export const LUA_APPLY_CHANGE = `${LUA_ADD_PROOF}
local function apply_change(c)
  local k = tonumber(ARGV[c])
  local methods, stepup = KEYS[k], KEYS[k + 1]
  if ARGV[c + 1] ~= '' and redis.call('HEXISTS', methods, ARGV[c + 1]) == 1 then
    redis.call('HSET', methods, ARGV[c + 1] .. '|confirmedAt', ARGV[c + 2])
  end
  if ARGV[c + 3] ~= '' then add_proof(stepup, ARGV[c + 3], ARGV[c + 4], '') end
  local nf, nr = tonumber(ARGV[c + 5]), tonumber(ARGV[c + 6])
  for i = 1, nf do redis.call('SET', KEYS[k + 1 + i], '1') end
  for i = 1, nr do
    local id = ARGV[c + 6 + i]
    redis.call('HDEL', methods, id, id .. '|confirmedAt', id .. '|lastUsedAt')
  end
end
`;

/** KEYS and ARGV of a change, for a script whose other keys are `keysBefore` (the change's keys follow them). */
export function changeParts(keys: RedisKeys, user: UserRef, change: RecordChange, keysBefore: number): { keys: string[]; args: (string | number)[] } {
  const part = (suffix: string): string => `${keys.prefix}${keys.userTag(user)}:${suffix}`;
  const flags = change.flags ?? [];
  const remove = change.remove ?? [];
  return {
    keys: [keys.methods(user), part('stepup'), ...flags.map((f) => part(`flag:${f}`))],
    args: [
      keysBefore + 1,
      change.confirm?.methodId ?? '',
      change.confirm?.at ?? '',
      change.proof?.at ?? '',
      change.proof?.windowSeconds ?? '',
      flags.length,
      remove.length,
      ...remove,
    ],
  };
}
