import type { Cluster, Redis } from 'ioredis';
import type { UserRef } from '../../domain/model/user';
import { CAMPAIGN_KINDS, type CampaignKind, type OptionalKind } from '../../domain/campaigns/model';
import type {
  CampaignLedger,
  CampaignPreference,
  CampaignPreferences,
  DeadLetter,
  DeadLetters,
  DeliveryClaim,
  DeliveryLedger,
  ScanCursorStore,
  ScanProgress,
  SentCards,
} from '../../domain/campaigns/ports';
import { LuaScript } from './luaScript';
import { slotPipeline } from './slotPipeline';

type Client = Redis | Cluster;

/**
 * The delivery ledger's record of one message (`<prefix>dlv:{<id>}`). Values: "c:<attempt>" claimed (lease),
 * "p|<since>|<attempt>" posting (the POST left at <since>), "r|<since>|<until>|<attempt>" an attempt resolves the
 * in-doubt message until <until>, "sent", "dead"; "p:<attempt>" is the older posting form (time unknown). The
 * attempt goes last because BullMQ lock tokens contain colons.
 *
 * CLAIM: KEYS[1]; ARGV attempt, lease ms, now ms. A claim by another attempt that never reached posting died
 * (BullMQ only re-runs a job whose lock was lost), so it is taken over. A posting record of another attempt, or a
 * resolving one whose lease ran out, is in doubt: reported with its time and its value (for ADOPT).
 */
const CLAIM = new LuaScript(`
local v = redis.call('GET', KEYS[1])
if v == 'sent' or v == 'dead' then return {v} end
if v then
  local head = string.sub(v, 1, 2)
  if head == 'p|' then
    local since, who = string.match(v, '^p|(%d+)|(.*)$')
    if who == ARGV[1] then return {'claimed'} end
    return {'uncertain', since or '0', v}
  elseif head == 'r|' then
    local since, till, who = string.match(v, '^r|(%d+)|(%d+)|(.*)$')
    if who ~= ARGV[1] and tonumber(till or '0') > tonumber(ARGV[3]) then return {'busy', tostring(tonumber(till) - tonumber(ARGV[3]))} end
    return {'uncertain', since or '0', v}
  elseif head == 'p:' then
    if string.sub(v, 3) == ARGV[1] then return {'claimed'} end
    return {'uncertain', '0', v}
  end
end
redis.call('SET', KEYS[1], 'c:' .. ARGV[1], 'PX', ARGV[2])
return {'claimed'}
`);

/** ADOPT: KEYS[1]; ARGV the value CLAIM reported, the new resolving value, ttl ms. Compare-and-set. */
const ADOPT = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`);

/** ABANDON: KEYS[1]; ARGV ttl ms. 'dead' unless sent or dead; replies what the record was. */
const ABANDON = new LuaScript(`
local v = redis.call('GET', KEYS[1])
if v == 'sent' or v == 'dead' then return v end
redis.call('SET', KEYS[1], 'dead', 'PX', ARGV[1])
if v then
  local head = string.sub(v, 1, 2)
  if head == 'p|' or head == 'r|' or head == 'p:' then return 'in_doubt' end
end
return 'open'
`);

/** RELEASE: KEYS[1]; ARGV attempt. Only this attempt's own claim, posting or resolving record. */
const RELEASE = new LuaScript(`
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local a = ARGV[1]
local n = string.len(a)
local head = string.sub(v, 1, 2)
local mine = v == 'c:' .. a or v == 'p:' .. a or ((head == 'p|' or head == 'r|') and string.sub(v, -n - 1) == '|' .. a)
if mine then redis.call('DEL', KEYS[1]) return 1 end
return 0
`);

/** The delivery ledger: one key per message id (`<prefix>dlv:{<id>}`). */
export class RedisDeliveryLedger implements DeliveryLedger {
  constructor(
    private readonly redis: Client,
    private readonly prefix: string,
  ) {}

  private key(id: string): string {
    return `${this.prefix}dlv:{${id}}`;
  }

  async claim(messageId: string, attempt: string, leaseMs: number, now: number): Promise<DeliveryClaim> {
    const r = (await CLAIM.run(this.redis as Redis, [this.key(messageId)], [attempt, Math.ceil(leaseMs), Math.floor(now)])) as string[];
    const [state, a, b] = r.map(String);
    if (state === 'sent' || state === 'dead') return { state: 'done', outcome: state };
    if (state === 'busy') return { state: 'busy', retryInMs: Number(a) };
    if (state === 'uncertain') return { state: 'uncertain', since: Number(a), holder: b ?? '' };
    return { state: 'claimed' };
  }

  async markPosting(messageId: string, attempt: string, ttlMs: number, since: number): Promise<void> {
    await this.redis.set(this.key(messageId), `p|${Math.floor(since)}|${attempt}`, 'PX', Math.ceil(ttlMs));
  }

  async adopt(messageId: string, holder: string, attempt: string, leaseMs: number, now: number): Promise<boolean> {
    const since = /^[pr]\|(\d+)\|/.exec(holder)?.[1] ?? '0';
    const value = `r|${since}|${Math.floor(now + leaseMs)}|${attempt}`;
    // The record outlives the lease: when the resolver dies, the message is in doubt again, never forgotten.
    return Number(await ADOPT.run(this.redis as Redis, [this.key(messageId)], [holder, value, 30 * 86400_000])) === 1;
  }

  async markRefused(messageId: string, attempt: string, leaseMs: number): Promise<void> {
    await this.redis.set(this.key(messageId), `c:${attempt}`, 'PX', Math.ceil(leaseMs));
  }

  async complete(messageId: string, outcome: 'sent' | 'dead', ttlMs: number): Promise<void> {
    await this.redis.set(this.key(messageId), outcome, 'PX', Math.ceil(ttlMs));
  }

  async release(messageId: string, attempt: string): Promise<void> {
    await RELEASE.run(this.redis as Redis, [this.key(messageId)], [attempt]);
  }

  async abandon(messageId: string, ttlMs: number): Promise<'sent' | 'dead' | 'open' | 'in_doubt'> {
    return String(await ABANDON.run(this.redis as Redis, [this.key(messageId)], [Math.ceil(ttlMs)])) as 'sent' | 'dead' | 'open' | 'in_doubt';
  }
}

/** "Already told about this event": one key per event (`<prefix>told:{<key>}`), pipelined per page. */
export class RedisCampaignLedger implements CampaignLedger {
  constructor(
    private readonly redis: Client,
    private readonly prefix: string,
  ) {}

  private key(k: string): string {
    return `${this.prefix}told:{${k}}`;
  }

  async told(keys: readonly string[]): Promise<readonly boolean[]> {
    if (keys.length === 0) return [];
    const p = slotPipeline(this.redis);
    for (const k of keys) p.exists(this.key(k));
    const r = (await p.exec()) ?? [];
    return keys.map((_, i) => {
      const [err, v] = r[i] ?? [null, 0];
      if (err) throw err;
      return Number(v) === 1;
    });
  }

  async markTold(keys: readonly string[], ttlMs: number): Promise<void> {
    if (keys.length === 0) return;
    const p = slotPipeline(this.redis);
    for (const k of keys) p.set(this.key(k), '1', 'PX', Math.ceil(ttlMs));
    const r = (await p.exec()) ?? [];
    for (const [err] of r) if (err) throw err;
  }

  async markToldIfNew(key: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.key(key), '1', 'PX', Math.ceil(ttlMs), 'NX')) === 'OK';
  }

  async forget(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const p = slotPipeline(this.redis);
    for (const k of keys) p.del(this.key(k));
    await p.exec();
  }
}

/**
 * Opt-out and snooze per user and kind, in one hash under the user's hash tag (`<prefix>{u:<tenant>:<oid>}:campaigns`,
 * fields `<kind>:out`, `<kind>:until`, `<kind>:snoozes`). No TTL: a user's "stop these reminders" lasts.
 */
export class RedisCampaignPreferences implements CampaignPreferences {
  constructor(
    private readonly redis: Client,
    private readonly prefix: string,
  ) {}

  private key(user: UserRef): string {
    return `${this.prefix}{u:${user.tenantId}:${user.objectId}}:campaigns`;
  }

  async get(user: UserRef, kind: OptionalKind): Promise<CampaignPreference> {
    const [out, until, snoozes] = await this.redis.hmget(this.key(user), `${kind}:out`, `${kind}:until`, `${kind}:snoozes`);
    return { optedOut: out === '1', snoozedUntil: until ? Number(until) : null, snoozes: snoozes ? Number(snoozes) : 0 };
  }

  async optOut(user: UserRef, kind: OptionalKind): Promise<void> {
    await this.redis.hset(this.key(user), `${kind}:out`, '1');
  }

  async optIn(user: UserRef, kind: OptionalKind): Promise<void> {
    await this.redis.hdel(this.key(user), `${kind}:out`);
  }

  async snooze(user: UserRef, kind: OptionalKind, until: number): Promise<number> {
    const r = await this.redis.multi().hset(this.key(user), `${kind}:until`, String(until)).hincrby(this.key(user), `${kind}:snoozes`, 1).exec();
    const n = r?.[1]?.[1];
    return typeof n === 'number' ? n : Number(n ?? 0);
  }
}

/** Scan cursors (`<prefix>{scan}:<name>`), JSON, 7-day TTL (a pass that old is started over). */
export class RedisScanCursorStore implements ScanCursorStore {
  constructor(
    private readonly redis: Client,
    private readonly prefix: string,
  ) {}

  private key(scan: string): string {
    return `${this.prefix}{scan}:${scan}`;
  }

  async load(scan: string): Promise<ScanProgress | null> {
    const raw = await this.redis.get(this.key(scan));
    if (!raw) return null;
    try {
      const o = JSON.parse(raw) as Partial<ScanProgress>;
      if (typeof o.startedAt !== 'number') return null;
      return { cursor: typeof o.cursor === 'string' ? o.cursor : null, startedAt: o.startedAt, pages: Number(o.pages ?? 0), users: Number(o.users ?? 0) };
    } catch {
      return null;
    }
  }

  async save(scan: string, progress: ScanProgress): Promise<void> {
    await this.redis.set(this.key(scan), JSON.stringify(progress), 'EX', 7 * 86400);
  }

  async clear(scan: string): Promise<void> {
    await this.redis.del(this.key(scan));
  }
}

/** Dead letters: a capped list (newest first, 10,000 kept) at `<prefix>{campaigns}:dead`. */
export class RedisDeadLetters implements DeadLetters {
  constructor(
    private readonly redis: Client,
    private readonly prefix: string,
    private readonly cap = 10_000,
  ) {}

  private get key(): string {
    return `${this.prefix}{campaigns}:dead`;
  }

  async add(letter: DeadLetter): Promise<void> {
    await this.redis.multi().lpush(this.key, JSON.stringify(letter)).ltrim(this.key, 0, this.cap - 1).exec();
  }

  async list(limit: number): Promise<readonly DeadLetter[]> {
    const raw = await this.redis.lrange(this.key, 0, Math.max(0, limit - 1));
    return raw.map((r) => JSON.parse(r) as DeadLetter);
  }
}

/** Cards sent per user (`<prefix>{u:<tenant>:<oid>}:sent:<message id>` = kind) and their one-time actions (`…:acted:<action>:<id>`). */
export class RedisSentCards implements SentCards {
  constructor(
    private readonly redis: Client,
    private readonly prefix: string,
  ) {}

  private key(user: UserRef, rest: string): string {
    return `${this.prefix}{u:${user.tenantId}:${user.objectId}}:${rest}`;
  }

  async record(user: UserRef, messageId: string, kind: CampaignKind, ttlMs: number): Promise<void> {
    await this.redis.set(this.key(user, `sent:${messageId}`), kind, 'PX', Math.ceil(ttlMs));
  }

  async kindOf(user: UserRef, messageId: string): Promise<CampaignKind | null> {
    const v = await this.redis.get(this.key(user, `sent:${messageId}`));
    return v !== null && (CAMPAIGN_KINDS as readonly string[]).includes(v) ? (v as CampaignKind) : null;
  }

  async actOnce(user: UserRef, messageId: string, action: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.key(user, `acted:${action}:${messageId}`), '1', 'PX', Math.ceil(ttlMs), 'NX')) === 'OK';
  }
}
