import type { Cluster, Redis } from 'ioredis';
import type { UserRef } from '../../domain/model/user';
import type { OptionalKind } from '../../domain/campaigns/model';
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
} from '../../domain/campaigns/ports';
import { LuaScript } from './luaScript';
import { slotPipeline } from './slotPipeline';

type Client = Redis | Cluster;

/**
 * KEYS[1] the message's record. ARGV: attempt id, lease ms. Values: "c:<attempt>" claimed, "p:<attempt>" posting,
 * "sent", "dead". A claim by another attempt that never reached posting died (BullMQ only re-runs a job whose lock
 * was lost), so it is taken over.
 */
const CLAIM = new LuaScript(`
local v = redis.call('GET', KEYS[1])
if v == 'sent' or v == 'dead' then return v end
if v and string.sub(v, 1, 2) == 'p:' then
  if string.sub(v, 3) == ARGV[1] then return 'mine' end
  return 'uncertain'
end
redis.call('SET', KEYS[1], 'c:' .. ARGV[1], 'PX', ARGV[2])
return 'claimed'
`);

const RELEASE = new LuaScript(`
local v = redis.call('GET', KEYS[1])
if v == 'c:' .. ARGV[1] or v == 'p:' .. ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
`);

/** The delivery ledger: one key per message id (`<prefix>dlv:<id>`). */
export class RedisDeliveryLedger implements DeliveryLedger {
  constructor(
    private readonly redis: Client,
    private readonly prefix: string,
  ) {}

  private key(id: string): string {
    return `${this.prefix}dlv:{${id}}`;
  }

  async claim(messageId: string, attempt: string, leaseMs: number): Promise<DeliveryClaim> {
    const r = String(await CLAIM.run(this.redis as Redis, [this.key(messageId)], [attempt, Math.ceil(leaseMs)]));
    if (r === 'sent' || r === 'dead') return { state: 'done', outcome: r };
    if (r === 'uncertain') return { state: 'uncertain' };
    return { state: 'claimed' };
  }

  async markPosting(messageId: string, attempt: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.key(messageId), `p:${attempt}`, 'PX', Math.ceil(ttlMs));
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
