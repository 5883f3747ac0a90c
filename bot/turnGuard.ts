import { randomBytes } from 'node:crypto';
import { ActivityTypes, type Activity, type Middleware, type TurnContext } from 'botbuilder';
import type { Redis } from 'ioredis';
import { SsprError } from '../domain/errors';
import type { RedisStorage } from './redisStorage';
import { LuaScript, isNoScript } from '../adapters/redis/luaScript';
import { TURN_LEASE_KEY, TurnScope, type TurnLease, type TurnScopeData } from './state/turnScope';
import { slotPipeline } from '../adapters/redis/slotPipeline';
import type { WriteRider } from '../adapters/redis/writeRider';
import type { PrimedFlow, PrimedRecord, UserRecordMemo } from '../adapters/redis/userRecordMemo';
import type { UserRef } from '../domain/model/user';

export { TURN_LEASE_KEY, TurnScope, type TurnLease } from './state/turnScope';

/**
 * Dedupe check + lock acquisition in one script (one round trip).
 * KEYS: lock, fence counter, dedupe mark. ARGV: owner, lock ttl ms, dedupe ttl s, fence ttl s, dedupe on ('1'/'0').
 * Replies {'dup', 0} | {'busy', pttl} | {'ok', token}. The dedupe mark is set only when the lock is won, so a
 * duplicate that is still waiting sees it on its next attempt.
 */
const ACQUIRE_LUA = `
if ARGV[5] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then return {'dup', 0} end
local pttl = redis.call('PTTL', KEYS[1])
if pttl == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {'busy', tonumber(ARGV[2])}
end
if pttl >= 0 then return {'busy', pttl} end
local token = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
if ARGV[5] == '1' then redis.call('SET', KEYS[3], token, 'EX', ARGV[3]) end
return {'ok', token}
`;

/** Compare-and-delete. KEYS: lock. ARGV: expected value. */
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Compare-and-extend. KEYS: lock. ARGV: expected value, ttl ms. */
const REFRESH_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

export interface TurnGuardOptions {
  /** Prefix of the guard's keys (default `sspr:`); must not contain `{` or `}` (the hash tag follows it). */
  keyPrefix?: string;
  /** Shared with RedisStorage: carries the fencing token and prefetched state into the turn. */
  scope?: TurnScope;
  /**
   * Read these storage keys in the same round trip as the lock (default: conversation and user state keys).
   * Requires that `storage` uses the same client as the guard; otherwise nothing is prefetched.
   */
  prefetch?: {
    storage: RedisStorage;
    keys?: (activity: Partial<Activity>) => string[];
    /**
     * Issue 15: the user whose security-info record (the {@link memo}'s) is read in the same round trip too, for a
     * message or invoke; the turn's memo starts with it, so its first read of the user's record costs no round trip.
     */
    user?: (activity: Partial<Activity>) => UserRef | undefined;
    /**
     * Issue 15: the id of the verification flow the activity's card data names (parsed by the card's schema), read
     * with {@link user}'s record under that user's key; the turn's memo serves that one read of the flow once. Only
     * a lookup key: the use-case checks the flow it gets as it checks a fresh read (user, conversation, step).
     */
    flow?: (activity: Partial<Activity>) => string | undefined;
  };
  /** Lock expiry, refreshed every third of it while the turn runs (default 15000 ms). */
  lockTtlMs?: number;
  /** Longest wait for the lock before SsprError('lock_timeout') (default 8000 ms). */
  maxWaitMs?: number;
  /** How long a processed activity id is remembered (default {@link DEDUPE_TTL_SECONDS}: 10 minutes). */
  dedupeTtlSeconds?: number;
  /** Expiry of the per-conversation fencing counter; keep it ≥ the state TTL (default 30 days). */
  fenceTtlSeconds?: number;
  /** Upper bound of one Redis round trip of the guard (default 1500 ms), so a hung Redis fails the turn < 3 s. */
  redisTimeoutMs?: number;
  /** Told about failures that cannot fail the turn any more (lock release/refresh). */
  onBackgroundError?: (error: unknown) => void;
  /**
   * Issue 15: runs each locked turn inside this per-turn read memo (adapters/redis/userRecordMemo.ts: a user's
   * security info is read once per turn and re-read behind the turn's own writes).
   */
  memo?: Pick<UserRecordMemo, 'run' | 'queue' | 'queueFlow'>;
  /** Issue 15: background writes released to ride in the same socket write as the lock release. */
  rider?: WriteRider;
}

/**
 * Storage keys botbuilder 4.23's ConversationState and UserState (default, empty namespace) use for an activity:
 * `<channel>/conversations/<conversation>/` and `<channel>/users/<user>/`.
 */
export function defaultStateKeys(activity: Partial<Activity>): string[] {
  const channel = activity.channelId ?? '';
  const keys = [`${channel}/conversations/${activity.conversation?.id ?? ''}/`];
  if (activity.from?.id) keys.push(`${channel}/users/${activity.from.id}/`);
  return keys;
}

/**
 * How long a processed activity id is remembered: 10 minutes. The window only has to cover the channel's own
 * redeliveries of the same activity id, and those come within seconds to a minute: the Bot Connector / Teams give a
 * bot 15 s to answer and then deliver the same activity again (MicrosoftDocs/msteams-docs#6084, "if the bot activity
 * takes more than 15 seconds … Teams will send retry request"), with a second layer of retry seen about 30 s after
 * the first attempt (microsoft/botbuilder-dotnet#5005: two deliveries with the same id and timestamp, two more ~30 s
 * later). A user re-sending a message creates a new activity id, which dedupe must not drop anyway. Ten minutes is
 * ten times the longest observed retry span, and keeps the marks bounded: at Teams' per-tenant 50 turns/s all day
 * that is 30,000 marks (≈ 5 MB at ~150 B each) instead of 4.3 M marks (≈ 650 MB) with the former 24 h.
 */
export const DEDUPE_TTL_SECONDS = 600;

type AcquireOutcome =
  | { kind: 'dup' }
  | { kind: 'busy'; pttl: number }
  | { kind: 'ok'; token: number; prefetched: Map<string, string | null>; primed: PrimedRecord[]; flows: PrimedFlow[] };

/**
 * Turn safety middleware (R24, R25, R22).
 *
 * - Duplicate deliveries: the first turn for an `activity.id` in a conversation sets `dedupe:{c:<conv>}:<id>`
 *   ({@link DEDUPE_TTL_SECONDS}, 10 min: the channel's retry span); later deliveries are dropped silently (an `invoke` is answered 200 with no body so Teams stops retrying).
 *   The mark is kept even when the turn fails: at most once beats a second code send.
 * - Serialised turns: `lock:{c:<conv>}` holds `<random owner>:<token>` where token = INCR `fence:{c:<conv>}`, so a
 *   later holder always has a larger token. Waits by polling (5→100 ms with jitter) up to `maxWaitMs`; the lock's TTL
 *   is refreshed while the turn runs and it is released by compare-and-delete. The {@link TurnLease} is put on
 *   `context.turnState` under {@link TURN_LEASE_KEY}; with a shared {@link TurnScope}, RedisStorage writes the
 *   conversation's items with the token and refuses a write from a holder older than the last writer.
 * - Fail closed: any Redis error or a round trip slower than `redisTimeoutMs` throws SsprError('state_unavailable')
 *   before the turn runs; a turn never runs without the lock.
 *
 * Redis round trips per uncontended turn: 1 (dedupe + lock + prefetch of conversation/user state and, for a message
 * or invoke, the caller's security-info record and the flow its card names for the turn's memo, pipelined) + 1 (state write: BotState writes,
 * one script per item, issued together, with the release behind them) = 2. Each wait while another
 * turn holds the lock costs one more, as does a refresh for turns longer than a third of the lock TTL.
 *
 * All keys of a conversation share the hash tag `{c:<conversationId>}` (Redis Cluster, F20); `{`, `}` and `%` in the
 * id are percent-escaped so the tag and the key stay unambiguous.
 */
export class TurnGuard implements Middleware {
  private readonly keyPrefix: string;
  private readonly lockTtlMs: number;
  private readonly maxWaitMs: number;
  private readonly dedupeTtlSeconds: number;
  private readonly fenceTtlSeconds: number;
  private readonly redisTimeoutMs: number;
  private readonly acquireScript = new LuaScript(ACQUIRE_LUA);
  private readonly releaseScript = new LuaScript(RELEASE_LUA);
  private readonly refreshScript = new LuaScript(REFRESH_LUA);

  constructor(
    private readonly redis: Redis,
    private readonly options: TurnGuardOptions = {},
  ) {
    this.keyPrefix = options.keyPrefix ?? 'sspr:';
    if (/[{}]/.test(this.keyPrefix)) throw new SsprError('config_invalid', 'TurnGuard keyPrefix must not contain braces');
    this.lockTtlMs = options.lockTtlMs ?? 15_000;
    this.maxWaitMs = options.maxWaitMs ?? 8_000;
    this.dedupeTtlSeconds = options.dedupeTtlSeconds ?? DEDUPE_TTL_SECONDS;
    this.fenceTtlSeconds = options.fenceTtlSeconds ?? 30 * 86_400;
    this.redisTimeoutMs = options.redisTimeoutMs ?? 1_500;
  }

  /** The Redis keys used for a conversation (exposed for tests and operations). */
  keysFor(conversationId: string, activityId?: string): { lock: string; fence: string; dedupe: string } {
    const tag = `{c:${conversationId.replace(/[%{}]/g, (ch) => encodeURIComponent(ch))}}`;
    return {
      lock: `${this.keyPrefix}lock:${tag}`,
      fence: `${this.keyPrefix}fence:${tag}`,
      dedupe: `${this.keyPrefix}dedupe:${tag}:${activityId ?? ''}`,
    };
  }

  async onTurn(context: TurnContext, next: () => Promise<void>): Promise<void> {
    const activity = context.activity;
    const conversationId = activity.conversation?.id;
    if (!conversationId) throw new SsprError('invalid_input', 'activity without conversation id');
    // Proactive continuations (notifications, background results) only send: they neither read nor write conversation
    // state, and are often started from inside a turn of the same conversation, which holds the lock — waiting for it
    // there would stall that turn until the lock wait runs out.
    if (activity.type === String(ActivityTypes.Event) && activity.name === 'ContinueConversation') {
      await next();
      return;
    }
    const activityId = activity.id ? activity.id : undefined;
    const keys = this.keysFor(conversationId, activityId);
    const owner = randomBytes(12).toString('hex');

    const outcome = await this.waitForLock(keys, owner, activityId !== undefined, activity);
    if (outcome.kind === 'dup') {
      if (activity.type === String(ActivityTypes.Invoke)) {
        await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200 } });
      }
      return;
    }

    const lockValue = `${owner}:${outcome.token}`;
    let released: Promise<unknown> | null = null;
    const lastWrite = {
      armed: false,
      release: (): void => {
        if (released) return;
        clearInterval(refresher);
        released = this.withTimeout(this.releaseScript.run(this.redis, [keys.lock], [lockValue]));
        this.options.rider?.flush();
        // Awaited when the turn ends; a failure there is only reported (the lock then expires by its TTL).
        released.catch(() => undefined);
      },
    };
    const lease: TurnLease = {
      conversationId,
      lockKey: keys.lock,
      token: outcome.token,
      ...(this.options.scope ? { releaseWithLastWrite: () => void (lastWrite.armed = true) } : {}),
    };
    context.turnState.set(TURN_LEASE_KEY, lease);
    const refresher = setInterval(() => {
      this.refreshScript
        .run(this.redis, [keys.lock], [lockValue, this.lockTtlMs])
        .catch((e: unknown) => this.options.onBackgroundError?.(e));
    }, Math.max(Math.floor(this.lockTtlMs / 3), 50));
    refresher.unref();
    const memo = this.options.memo;
    const turn = memo ? (): Promise<void> => memo.run(next, outcome.primed, outcome.flows) : next;
    try {
      if (this.options.scope) {
        const convKey = `${activity.channelId ?? ''}/conversations/${conversationId}`;
        const data: TurnScopeData = {
          lease,
          isFenced: (k) => k === convKey || k.startsWith(`${convKey}/`),
          prefetched: outcome.prefetched,
          prefetchedBy: this.prefetchStorage(),
          lastWrite,
        };
        await this.options.scope.run(data, turn);
      } else {
        await turn();
      }
    } finally {
      clearInterval(refresher);
      try {
        const release = released ?? this.withTimeout(this.releaseScript.run(this.redis, [keys.lock], [lockValue]));
        // Issue 15: waiting background writes (insights counters) leave with the release.
        this.options.rider?.flush();
        await release;
      } catch (e) {
        // The lock then expires by its TTL; the turn's own outcome stands.
        this.options.onBackgroundError?.(e);
      }
    }
  }

  private prefetchStorage(): RedisStorage | undefined {
    const storage = this.options.prefetch?.storage;
    // Prefetched values are only valid for a storage on this very client.
    if (storage?.client !== this.redis) return undefined;
    return storage;
  }

  private async waitForLock(
    keys: { lock: string; fence: string; dedupe: string },
    owner: string,
    dedupe: boolean,
    activity: Partial<Activity>,
  ): Promise<Exclude<AcquireOutcome, { kind: 'busy' }>> {
    const deadline = Date.now() + this.maxWaitMs;
    let delay = 5;
    for (;;) {
      const outcome = await this.withTimeout(this.tryAcquire(keys, owner, dedupe, activity));
      if (outcome.kind !== 'busy') return outcome;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new SsprError('lock_timeout', 'conversation is busy; lock wait exceeded');
      const pause = Math.min(delay + Math.floor(Math.random() * delay), Math.max(outcome.pttl, 1), remaining);
      await new Promise((r) => setTimeout(r, pause));
      delay = Math.min(delay * 2, 100);
    }
  }

  private async tryAcquire(
    keys: { lock: string; fence: string; dedupe: string },
    owner: string,
    dedupe: boolean,
    activity: Partial<Activity>,
  ): Promise<AcquireOutcome> {
    const scriptKeys = [keys.lock, keys.fence, keys.dedupe];
    const args = [owner, this.lockTtlMs, this.dedupeTtlSeconds, this.fenceTtlSeconds, dedupe ? '1' : '0'];
    const storage = this.options.scope ? this.prefetchStorage() : undefined;
    const stateKeys = storage ? (this.options.prefetch?.keys ?? defaultStateKeys)(activity) : [];
    let reply: unknown;
    const prefetched = new Map<string, string | null>();
    const primed: PrimedRecord[] = [];
    const flows: PrimedFlow[] = [];
    if (!storage || stateKeys.length === 0) {
      reply = await this.acquireScript.run(this.redis, scriptKeys, args);
    } else {
      // Issue 15: the caller's security-info record rides along (a message or invoke names its user); the user is
      // only who the activity says — the gate still decides whether that user may do anything (R2).
      const memo = this.options.memo;
      const user = memo && (activity.type === String(ActivityTypes.Message) || activity.type === String(ActivityTypes.Invoke)) ? this.options.prefetch?.user?.(activity) : undefined;
      // Pipelined: the GETs run after the script on the server, so when the lock was won they see the state as the
      // previous holder left it.
      // The flow a card names is read under that same user's key, so another user's flow id finds nothing (R2).
      const flowId = user ? this.options.prefetch?.flow?.(activity) : undefined;
      let parse: ((hash: unknown, parts: unknown) => PrimedRecord) | undefined;
      let parseFlow: ((raw: unknown) => PrimedFlow) | undefined;
      const fill = (p: ReturnType<Redis['pipeline']>): void => {
        for (const k of stateKeys) p.get(storage.redisKey(k));
        if (memo && user) parse = memo.queue(p, user);
        if (memo && user && flowId) parseFlow = memo.queueFlow(p, user, flowId);
      };
      let res = await this.execPipeline((p) => {
        this.acquireScript.queue(p, scriptKeys, args);
        fill(p);
      });
      if (res[0]?.[0] && isNoScript(res[0][0])) {
        res = await this.execPipeline((p) => {
          this.acquireScript.queueEval(p, scriptKeys, args);
          fill(p);
        });
      }
      for (const [err] of res) if (err) throw err;
      reply = res[0]?.[1];
      stateKeys.forEach((k, i) => {
        const v = res[i + 1]?.[1];
        prefetched.set(k, typeof v === 'string' ? v : null);
      });
      if (parse) primed.push(parse(res[stateKeys.length + 1]?.[1], res[stateKeys.length + 2]?.[1]));
      if (parseFlow) flows.push(parseFlow(res[stateKeys.length + 3]?.[1]));
    }
    const [kind, n] = Array.isArray(reply) ? (reply as unknown[]) : [];
    const num = Number(n);
    if (kind === 'dup') return { kind: 'dup' };
    if (kind === 'busy') return { kind: 'busy', pttl: num };
    if (kind === 'ok' && Number.isSafeInteger(num)) return { kind: 'ok', token: num, prefetched, primed, flows };
    throw new SsprError('internal', 'unexpected reply from lock script');
  }

  private async execPipeline(fill: (p: ReturnType<Redis['pipeline']>) => void): Promise<[Error | null, unknown][]> {
    const p = slotPipeline(this.redis);
    fill(p);
    return (await p.exec()) ?? [];
  }

  /** Bounds one round trip and maps every Redis failure to state_unavailable (fail closed). */
  private async withTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new SsprError('state_unavailable', 'state store did not answer in time')),
        this.redisTimeoutMs,
      );
    });
    try {
      return await Promise.race([work, timeout]);
    } catch (e) {
      if (e instanceof SsprError) throw e;
      throw new SsprError('state_unavailable', 'state store unavailable', { cause: e });
    } finally {
      clearTimeout(timer);
    }
  }
}
