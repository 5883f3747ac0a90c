import type { Clock } from '../../domain/ports/clock';
import { userKey, type UserRef } from '../../domain/model/user';
import type { CampaignKind, OptionalKind } from '../../domain/campaigns/model';
import type {
  CampaignLedger,
  CampaignPreference,
  CampaignPreferences,
  DeadLetter,
  DeadLetters,
  DeliveryClaim,
  DeliveryLedger,
  ScanCursorStore,
  SentCards,
  ScanProgress,
} from '../../domain/campaigns/ports';

/** In-memory campaign stores: tests and the embedded development default (one process, no Redis). */
export class MemoryDeliveryLedger implements DeliveryLedger {
  private readonly records = new Map<string, { value: string; until: number }>();
  constructor(private readonly clock: Clock) {}

  private read(id: string): string | undefined {
    const r = this.records.get(id);
    if (!r) return undefined;
    if (r.until <= this.clock.now()) {
      this.records.delete(id);
      return undefined;
    }
    return r.value;
  }

  /** Same records as the Redis ledger (adapters/redis/redisCampaignStores.ts), same transitions. */
  async claim(messageId: string, attempt: string, leaseMs: number, now: number): Promise<DeliveryClaim> {
    const v = this.read(messageId);
    if (v === 'sent' || v === 'dead') return { state: 'done', outcome: v };
    const posting = v === undefined ? null : /^p\|(\d+)\|(.*)$/s.exec(v);
    if (posting) return posting[2] === attempt ? { state: 'claimed' } : { state: 'uncertain', since: Number(posting[1]), holder: v! };
    const resolving = v === undefined ? null : /^r\|(\d+)\|(\d+)\|(.*)$/s.exec(v);
    if (resolving) {
      const until = Number(resolving[2]);
      if (resolving[3] !== attempt && until > now) return { state: 'busy', retryInMs: until - now };
      return { state: 'uncertain', since: Number(resolving[1]), holder: v! };
    }
    this.records.set(messageId, { value: `c:${attempt}`, until: this.clock.now() + leaseMs });
    return { state: 'claimed' };
  }

  async markPosting(messageId: string, attempt: string, ttlMs: number, since: number): Promise<void> {
    this.records.set(messageId, { value: `p|${Math.floor(since)}|${attempt}`, until: this.clock.now() + ttlMs });
  }

  async adopt(messageId: string, holder: string, attempt: string, leaseMs: number, now: number): Promise<boolean> {
    if (this.read(messageId) !== holder) return false;
    const since = /^[pr]\|(\d+)\|/.exec(holder)?.[1] ?? '0';
    this.records.set(messageId, { value: `r|${since}|${Math.floor(now + leaseMs)}|${attempt}`, until: this.clock.now() + 30 * 86400_000 });
    return true;
  }

  async markRefused(messageId: string, attempt: string, leaseMs: number): Promise<void> {
    this.records.set(messageId, { value: `c:${attempt}`, until: this.clock.now() + leaseMs });
  }

  async complete(messageId: string, outcome: 'sent' | 'dead', ttlMs: number): Promise<void> {
    this.records.set(messageId, { value: outcome, until: this.clock.now() + ttlMs });
  }

  async release(messageId: string, attempt: string): Promise<void> {
    const v = this.read(messageId);
    if (v === `c:${attempt}` || ((v?.startsWith('p|') || v?.startsWith('r|')) && v.endsWith(`|${attempt}`))) this.records.delete(messageId);
  }

  async abandon(messageId: string, ttlMs: number): Promise<'sent' | 'dead' | 'open' | 'in_doubt'> {
    const v = this.read(messageId);
    if (v === 'sent' || v === 'dead') return v;
    this.records.set(messageId, { value: 'dead', until: this.clock.now() + ttlMs });
    return v !== undefined && /^(p\||r\||p:)/.test(v) ? 'in_doubt' : 'open';
  }
}

export class MemoryCampaignLedger implements CampaignLedger {
  private readonly marks = new Map<string, number>();
  constructor(private readonly clock: Clock) {}

  async told(keys: readonly string[]): Promise<readonly boolean[]> {
    const now = this.clock.now();
    return keys.map((k) => (this.marks.get(k) ?? 0) > now);
  }
  async markTold(keys: readonly string[], ttlMs: number): Promise<void> {
    for (const k of keys) this.marks.set(k, this.clock.now() + ttlMs);
  }
  async markToldIfNew(key: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    if ((this.marks.get(key) ?? 0) > now) return false;
    this.marks.set(key, now + ttlMs);
    return true;
  }
  async forget(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.marks.delete(k);
  }
}

export class MemoryCampaignPreferences implements CampaignPreferences {
  private readonly prefs = new Map<string, { optedOut: boolean; snoozedUntil: number | null; snoozes: number }>();

  private entry(user: UserRef, kind: OptionalKind): { optedOut: boolean; snoozedUntil: number | null; snoozes: number } {
    const k = `${userKey(user)}:${kind}`;
    let e = this.prefs.get(k);
    if (!e) {
      e = { optedOut: false, snoozedUntil: null, snoozes: 0 };
      this.prefs.set(k, e);
    }
    return e;
  }

  async get(user: UserRef, kind: OptionalKind): Promise<CampaignPreference> {
    return { ...this.entry(user, kind) };
  }
  async optOut(user: UserRef, kind: OptionalKind): Promise<void> {
    this.entry(user, kind).optedOut = true;
  }
  async optIn(user: UserRef, kind: OptionalKind): Promise<void> {
    this.entry(user, kind).optedOut = false;
  }
  async snooze(user: UserRef, kind: OptionalKind, until: number): Promise<number> {
    const e = this.entry(user, kind);
    e.snoozedUntil = until;
    e.snoozes += 1;
    return e.snoozes;
  }
}

export class MemoryScanCursorStore implements ScanCursorStore {
  private readonly cursors = new Map<string, ScanProgress>();
  async load(scan: string): Promise<ScanProgress | null> {
    return this.cursors.get(scan) ?? null;
  }
  async save(scan: string, progress: ScanProgress): Promise<void> {
    this.cursors.set(scan, progress);
  }
  async clear(scan: string): Promise<void> {
    this.cursors.delete(scan);
  }
}

export class MemoryDeadLetters implements DeadLetters {
  readonly letters: DeadLetter[] = [];
  async add(letter: DeadLetter): Promise<void> {
    this.letters.unshift(letter);
    if (this.letters.length > 10_000) this.letters.length = 10_000;
  }
  async list(limit: number): Promise<readonly DeadLetter[]> {
    return this.letters.slice(0, limit);
  }
}

export class MemorySentCards implements SentCards {
  private readonly marks = new Map<string, { value: string; until: number }>();
  constructor(private readonly clock: Clock) {}

  private live(k: string): string | null {
    const m = this.marks.get(k);
    if (!m) return null;
    if (m.until <= this.clock.now()) {
      this.marks.delete(k);
      return null;
    }
    return m.value;
  }

  async record(user: UserRef, messageId: string, kind: CampaignKind, ttlMs: number): Promise<void> {
    this.marks.set(`${userKey(user)}|sent|${messageId}`, { value: kind, until: this.clock.now() + ttlMs });
  }

  async kindOf(user: UserRef, messageId: string): Promise<CampaignKind | null> {
    return this.live(`${userKey(user)}|sent|${messageId}`) as CampaignKind | null;
  }

  async actOnce(user: UserRef, messageId: string, action: string, ttlMs: number): Promise<boolean> {
    const k = `${userKey(user)}|acted|${action}|${messageId}`;
    if (this.live(k) !== null) return false;
    this.marks.set(k, { value: '1', until: this.clock.now() + ttlMs });
    return true;
  }
}
