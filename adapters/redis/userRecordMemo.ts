import type { ChainableCommander } from 'ioredis';
import type Redis from 'ioredis';
import type { UserRef } from '../../domain/model/user';
import type { StepUpFlag } from '../../domain/ports/stepUpStore';
import type { RedisKeys } from './redisKeys';
import { AsyncSlot } from '../asyncSlot';

/**
 * Issue 15 item 2: the Redis keys that make up a user's security info, as read together in one round trip — the
 * methods hash (records and their `<id>|confirmedAt` / `<id>|lastUsedAt` fields, raw), the step-up proof, the
 * bootstrap hold, the two lasting flags, the R9 block and the conversation reference (where the R18 notice goes).
 * All under the user's hash tag, so one slot on a Cluster (F20).
 */
export interface UserRecord {
  readonly methods: Readonly<Record<string, string>>;
  /** Raw value of `{u:…}:stepup` (the live proofs, redisStepUpStore.ts `parseProofs`) or null. */
  readonly stepUp: string | null;
  /** Raw value of `{u:…}:hold` (epoch ms the hold ends) or null; the reader compares it with its clock. */
  readonly hold: string | null;
  readonly flags: Readonly<Record<StepUpFlag, boolean>>;
  /** Raw value of `{u:…}:vblock` (R9: epoch ms the block ends; the key expires then, in Redis's time) or null. */
  readonly block: string | null;
  /** Raw value of `{u:…}:convref` (the JSON of the user's conversation reference) or null. */
  readonly convref: string | null;
}

const FLAGS: readonly StepUpFlag[] = ['hadMethods', 'prefilled'];

/** A record read ahead by the caller of {@link UserRecordMemo.run}. */
export interface PrimedRecord {
  readonly user: UserRef;
  readonly record: UserRecord;
}

/**
 * A verification flow read ahead by the caller of {@link UserRecordMemo.run} (issue 15: the TurnGuard reads the flow
 * a card names in the lock's round trip): its Redis key and the raw `rec` field (null: no such flow under this user).
 */
export interface PrimedFlow {
  readonly key: string;
  readonly raw: string | null;
}

interface Scope {
  open: boolean;
  readonly records: Map<string, Promise<UserRecord>>;
  /** Flows read ahead, by Redis key: each served once at most, and dropped by any write to that flow. */
  readonly flows: Map<string, string | null>;
}

/**
 * A per-turn memo of {@link UserRecord}s. Inside {@link run} (one bot turn: the TurnGuard opens it; one API request
 * where the route opens it) the first read of a user's security info loads the whole record — HGETALL methods and
 * one MGET of step-up, hold and flags, issued in the same tick, so one socket write with the auto-pipelining client
 * — and every later read in the scope is served from it. The use-cases keep reading for themselves (overview,
 * step-up check, pre-fill flag, hold), but only the first read goes to Redis.
 *
 * Writes: the stores call {@link wrote} right after issuing a write to one of these keys; the memo then re-reads the
 * record in the same tick, i.e. in the same round trip as the write and after it on the connection, so a turn never
 * acts on data older than its own change. Outside a scope, or once the scope's function has settled (work the turn
 * started and left running, such as an R18 notification), nothing is memoised and every read goes to Redis as before.
 *
 * The memo holds no data between turns (the map lives in the scope object of one `run`).
 */
export class UserRecordMemo {
  /** A slot of the process's one AsyncLocalStorage (adapters/asyncSlot.ts), not an instance of its own. */
  private readonly slot = new AsyncSlot<Scope>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Key prefix of the records (the stores' prefix). */
  get prefix(): string {
    return this.keys.prefix;
  }

  /**
   * Runs `fn` with a fresh memo: empty, or holding the records `primed` (read by the caller in its own round trip
   * just before, e.g. the TurnGuard's: lock + conversation state + the caller's record in one pipeline).
   */
  async run<T>(fn: () => Promise<T>, primed: readonly PrimedRecord[] = [], flows: readonly PrimedFlow[] = []): Promise<T> {
    const scope: Scope = {
      open: true,
      records: new Map(primed.map((p) => [this.keys.userTag(p.user), Promise.resolve(p.record)])),
      flows: new Map(flows.map((f) => [f.key, f.raw])),
    };
    try {
      return await this.slot.run(scope, fn);
    } finally {
      scope.open = false;
      scope.records.clear();
      scope.flows.clear();
    }
  }

  /** True inside an open scope: the stores then read through {@link read}. */
  active(): boolean {
    return this.scope() !== undefined;
  }

  /** The user's record: loaded once per scope (outside a scope: read now, not kept). */
  read(user: UserRef): Promise<UserRecord> {
    const scope = this.scope();
    if (!scope) return this.load(user);
    const key = this.keys.userTag(user);
    const known = scope.records.get(key);
    if (known) return known;
    return this.remember(scope, key, this.load(user));
  }

  /**
   * Call synchronously right after issuing a write to one of the user's record keys: a memoised record is re-read
   * behind the write (same round trip). A record not memoised yet is left to the next read.
   */
  wrote(user: UserRef): void {
    const scope = this.scope();
    if (!scope) return;
    const key = this.keys.userTag(user);
    if (!scope.records.has(key)) return;
    void this.remember(scope, key, this.load(user)).catch(() => undefined);
  }

  /**
   * Queues the reads of a user's record on a pipeline (issue 15: the TurnGuard's first round trip) and returns the
   * parser of their two replies, in the order queued.
   */
  queue(p: ChainableCommander, user: UserRef): (hash: unknown, parts: unknown) => PrimedRecord {
    p.hgetall(this.keys.methods(user));
    p.mget(...this.partKeys(user));
    return (hash, parts) => ({ user, record: this.parse(hash as Record<string, string>, parts as (string | null)[]) });
  }

  /**
   * Issue 15: queues the read of the flow `flowId` of `user` (its `rec` field, as RedisFlowStore.get reads it) on a
   * pipeline and returns the parser of its reply. The id is only a lookup key: it comes from the activity (a card's
   * data), so the flow found is still checked by the use-case (this user, this conversation, the right step).
   */
  queueFlow(p: ChainableCommander, user: UserRef, flowId: string): (raw: unknown) => PrimedFlow {
    const key = this.keys.flow(user, flowId);
    p.hget(key, 'rec');
    return (raw) => ({ key, raw: typeof raw === 'string' ? raw : null });
  }

  /**
   * The raw record of the flow at `key` read ahead for this scope, once: the entry is removed as it is served, so a
   * second read in the turn goes to Redis. `undefined` when nothing was read ahead (or outside a scope).
   */
  takeFlow(key: string): string | null | undefined {
    const scope = this.scope();
    if (!scope || !scope.flows.has(key)) return undefined;
    const raw = scope.flows.get(key) ?? null;
    scope.flows.delete(key);
    return raw;
  }

  /** Call before issuing any write to the flow at `key`: what was read ahead of it is no longer served. */
  flowWritten(key: string): void {
    this.scope()?.flows.delete(key);
  }

  /** Key of a user's record part (`stepup`, `hold`, `flag:<name>`, `vblock`, `convref`). */
  partKey(user: UserRef, suffix: string): string {
    return `${this.keys.prefix}${this.keys.userTag(user)}:${suffix}`;
  }

  private scope(): Scope | undefined {
    const s = this.slot.get();
    return s?.open ? s : undefined;
  }

  private remember(scope: Scope, key: string, p: Promise<UserRecord>): Promise<UserRecord> {
    scope.records.set(key, p);
    // A failed read is not kept: the next read in the turn tries again.
    p.catch(() => {
      if (scope.records.get(key) === p) scope.records.delete(key);
    });
    return p;
  }

  private partKeys(user: UserRef): string[] {
    return [this.partKey(user, 'stepup'), this.partKey(user, 'hold'), ...FLAGS.map((f) => this.partKey(user, `flag:${f}`)), this.partKey(user, 'vblock'), this.partKey(user, 'convref')];
  }

  private parse(methods: Record<string, string>, values: readonly (string | null | undefined)[]): UserRecord {
    const flags = Object.fromEntries(FLAGS.map((f, i) => [f, values[2 + i] !== null && values[2 + i] !== undefined])) as Record<StepUpFlag, boolean>;
    const at = (i: number): string | null => values[i] ?? null;
    return { methods, stepUp: at(0), hold: at(1), flags, block: at(2 + FLAGS.length), convref: at(3 + FLAGS.length) };
  }

  /** Both commands are issued before the first await: one socket write with the auto-pipelining client. */
  private async load(user: UserRef): Promise<UserRecord> {
    const hash = this.redis.hgetall(this.keys.methods(user));
    const parts = this.redis.mget(...this.partKeys(user));
    const [methods, values] = await Promise.all([hash, parts]);
    return this.parse(methods, values);
  }
}
