import type Redis from 'ioredis';
import { SsprError } from '../../domain/errors';
import type { UserRef } from '../../domain/model/user';
import type { Clock } from '../../domain/ports/clock';
import type { StepUpFlag, StepUpRecord, StepUpStore } from '../../domain/ports/stepUpStore';
import { LuaScript } from './luaScript';
import { LUA_ADD_PROOF } from './recordChangeLua';
import type { RedisKeys } from './redisKeys';
import type { UserRecord, UserRecordMemo } from './userRecordMemo';

// KEYS: the user's step-up key. ARGV: the proof's time, the window in seconds, the method id ('' for none).
const RECORD_PROOF = new LuaScript(`${LUA_ADD_PROOF}
add_proof(KEYS[1], ARGV[1], ARGV[2], ARGV[3])
return 1
`);

/** The proofs in a `{u:…}:stepup` value (recordChangeLua.ts `add_proof`); a bare `<at>` (earlier format) has no method. */
export function parseProofs(raw: string | null): StepUpRecord[] {
  if (raw === null) return [];
  const out: StepUpRecord[] = [];
  for (const entry of raw.split(' ')) {
    const m = /^(\d+)(?:\/(.*))?$/.exec(entry);
    if (!m) continue;
    const at = Number(m[1]);
    out.push(m[2] ? { at, methodId: m[2] } : { at });
  }
  return out;
}

/**
 * StepUpStore on Redis: `{u:…}:stepup` (the live proofs, `<at>/<methodId>` entries written by one script, expiring
 * with the window of the latest: the expiry is set in the same SET, and Redis decides it, F17), `{u:…}:hold` (hold end, expiring at it) and `{u:…}:flag:<name>` (lasting).
 * With a {@link UserRecordMemo}, reads inside a turn come from the turn's one read of the user's record (the hold is
 * still compared with the clock at each read, the proof's age by the caller), and each write tells the memo.
 */
export class RedisStepUpStore implements StepUpStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly clock: Clock,
    private readonly memo?: UserRecordMemo,
  ) {}

  /**
   * Inside a turn with a memo: a part of the user's record, read once per turn; otherwise `direct()`. Both are issued
   * synchronously (no await before the command), so parallel reads still share one auto-pipelined write.
   */
  private read<T>(user: UserRef, part: (r: UserRecord) => T, direct: () => Promise<T>): Promise<T> {
    return this.memo?.active() ? this.memo.read(user).then(part) : direct();
  }

  /** Issues a write, then lets the memo re-read the record behind it (same round trip). */
  private write<T>(user: UserRef, send: () => Promise<T>): () => Promise<T> {
    return () => {
      const sent = send();
      this.memo?.wrote(user);
      return sent;
    };
  }

  private key(user: UserRef, suffix: string): string {
    return `${this.keys.prefix}${this.keys.userTag(user)}:${suffix}`;
  }

  private async call<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (cause) {
      throw new SsprError('state_unavailable', `${what}: state store unavailable`, { cause });
    }
  }

  async recordProof(user: UserRef, at: number, windowSeconds: number, methodId?: string): Promise<void> {
    const args = [String(Math.floor(at)), windowSeconds, methodId ?? ''];
    await this.call('record step-up', () => RECORD_PROOF.run(this.redis, [this.key(user, 'stepup')], args, () => this.memo?.wrote(user)));
  }

  async proofs(user: UserRef): Promise<readonly StepUpRecord[]> {
    return parseProofs(await this.call('read step-up', () => this.read(user, (r) => r.stepUp, () => this.redis.get(this.key(user, 'stepup')))));
  }

  async lastProof(user: UserRef): Promise<number | null> {
    const records = await this.proofs(user);
    return records.length === 0 ? null : Math.max(...records.map((r) => r.at));
  }

  async startHold(user: UserRef, until: number): Promise<void> {
    await this.call('start hold', this.write(user, () => this.redis.set(this.key(user, 'hold'), String(until), 'PX', Math.max(1, Math.ceil(until - this.clock.now())))));
  }

  async holdUntil(user: UserRef): Promise<number | null> {
    const v = await this.call('read hold', () => this.read(user, (r) => r.hold, () => this.redis.get(this.key(user, 'hold'))));
    return v !== null && Number(v) > this.clock.now() ? Number(v) : null;
  }

  async setFlag(user: UserRef, flag: StepUpFlag): Promise<void> {
    await this.call('set flag', this.write(user, () => this.redis.set(this.key(user, `flag:${flag}`), '1')));
  }

  async hasFlag(user: UserRef, flag: StepUpFlag): Promise<boolean> {
    return this.call('read flag', () => this.read(user, (r) => r.flags[flag], async () => (await this.redis.exists(this.key(user, `flag:${flag}`))) === 1));
  }

  async clearProof(user: UserRef): Promise<void> {
    await this.call('clear step-up', this.write(user, () => this.redis.del(this.key(user, 'stepup'))));
  }
}
