import type { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { SsprError } from '../domain/errors';
import { userKey, type UserRef } from '../domain/model/user';
import { BoundedMap, DEFAULT_MEMORY_CAP } from './memory/boundedMap';
import { LuaScript } from './redis/luaScript';
import type { WriteRider } from './redis/writeRider';

/**
 * What a ticket lets the dialog page show once (R35): the QR code and key of one pending authenticator method, or a
 * new set of recovery codes (created when the page asks, so the codes exist in clear only in that one answer).
 */
export type EnrolmentSecret = { readonly purpose: 'authenticator'; readonly methodId: string } | { readonly purpose: 'recoveryCodes' };

/**
 * Short-lived single-use tickets that let the dialog page (`/app/authenticator/?ticket=<id>`) show one secret, once,
 * to its own user (R35). The security-info journey issues one after the R31 step-up and opens the page as a Teams
 * dialog; the page reads the QR code and key (and confirms a code), or the recovery codes. Holds references only
 * (a method id and a purpose), never the secret.
 */
export interface EnrolmentTickets {
  /** A new ticket (128-bit id) for the secret (a bare string: a pending authenticator method id); lives `ttlSeconds`. */
  issue(user: UserRef, secret: string | EnrolmentSecret): Promise<string>;
  /** What to show, the first time the page asks; null afterwards, when expired or another user's. */
  claimDisplay(user: UserRef, ticketId: string): Promise<EnrolmentSecret | null>;
  /** The method id while the ticket lives (for confirming the code), or null. */
  methodOf(user: UserRef, ticketId: string): Promise<string | null>;
  /** Forget the ticket (enrolment confirmed). */
  remove(user: UserRef, ticketId: string): Promise<void>;
}

export const ENROLMENT_TICKET_TTL_SECONDS = 600;
const TICKET_ID = /^[0-9a-f]{32}$/;

export function newTicketId(): string {
  return randomBytes(16).toString('hex');
}

function secretOf(s: string | EnrolmentSecret): EnrolmentSecret {
  return typeof s === 'string' ? { purpose: 'authenticator', methodId: s } : s;
}

/**
 * In-process tickets (development and tests without Redis). Bounded: a ticket nobody opens would otherwise stay
 * forever (expiry was only noticed when the same ticket was asked for), so a user re-opening the set-up card could
 * grow the process without limit; when full, expired tickets go first, then the oldest.
 */
export class MemoryEnrolmentTickets implements EnrolmentTickets {
  private readonly tickets: BoundedMap<string, { secret: EnrolmentSecret; shown: boolean; expiresAt: number }>;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlSeconds = ENROLMENT_TICKET_TTL_SECONDS,
    cap = DEFAULT_MEMORY_CAP,
  ) {
    this.tickets = new BoundedMap(cap, (t) => t.expiresAt <= this.now());
  }

  /** Tickets held (live or not yet swept). */
  get size(): number {
    return this.tickets.size;
  }

  private key(user: UserRef, id: string): string {
    return `${userKey(user)}|${id}`;
  }

  private live(user: UserRef, id: string): { secret: EnrolmentSecret; shown: boolean; expiresAt: number } | null {
    if (!TICKET_ID.test(id)) return null;
    const t = this.tickets.get(this.key(user, id));
    if (!t) return null;
    if (t.expiresAt <= this.now()) {
      this.tickets.delete(this.key(user, id));
      return null;
    }
    return t;
  }

  issue(user: UserRef, secret: string | EnrolmentSecret): Promise<string> {
    const id = newTicketId();
    this.tickets.set(this.key(user, id), { secret: secretOf(secret), shown: false, expiresAt: this.now() + this.ttlSeconds * 1000 });
    return Promise.resolve(id);
  }

  claimDisplay(user: UserRef, ticketId: string): Promise<EnrolmentSecret | null> {
    const t = this.live(user, ticketId);
    if (!t || t.shown) return Promise.resolve(null);
    t.shown = true;
    return Promise.resolve(t.secret);
  }

  methodOf(user: UserRef, ticketId: string): Promise<string | null> {
    const t = this.live(user, ticketId);
    return Promise.resolve(t?.secret.purpose === 'authenticator' ? t.secret.methodId : null);
  }

  remove(user: UserRef, ticketId: string): Promise<void> {
    this.tickets.delete(this.key(user, ticketId));
    return Promise.resolve();
  }
}

// Claims the display atomically: only the first caller gets the ticket's fields (purpose, method id).
const CLAIM_SCRIPT = `if redis.call('HEXISTS', KEYS[1], 'p') == 1 and redis.call('HSETNX', KEYS[1], 's', '1') == 1 then
  return redis.call('HMGET', KEYS[1], 'p', 'm') end
return false`;

// KEYS: ticket. ARGV: ttl s, then field/value pairs. Created with its expiry in one command (never a ticket without
// TTL), and one command rides in the auto-pipelined write of the pending method's save (issue 15; a MULTI is a
// socket write of its own).
const ISSUE_SCRIPT = new LuaScript(`redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1`);

/** Tickets in Redis, under the user's hash tag (F20), expiring by TTL. Redis errors → SsprError('state_unavailable'). */
export class RedisEnrolmentTickets implements EnrolmentTickets {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds = ENROLMENT_TICKET_TTL_SECONDS,
    /** Issue 15: the enrolment page's confirm ends with the ticket's removal; the background writes ride with it. */
    private readonly rider?: WriteRider,
  ) {}

  private key(user: UserRef, id: string): string {
    return `${this.prefix}{u:${userKey(user)}}:enrolticket:${id}`;
  }

  private async run<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw new SsprError('state_unavailable', 'enrolment ticket store unavailable', { cause: e });
    }
  }

  issue(user: UserRef, secret: string | EnrolmentSecret): Promise<string> {
    const id = newTicketId();
    const s = secretOf(secret);
    const fields = s.purpose === 'authenticator' ? ['p', s.purpose, 'm', s.methodId] : ['p', s.purpose];
    return this.run(async () => {
      await ISSUE_SCRIPT.run(this.redis, [this.key(user, id)], [this.ttlSeconds, ...fields]);
      return id;
    });
  }

  claimDisplay(user: UserRef, ticketId: string): Promise<EnrolmentSecret | null> {
    if (!TICKET_ID.test(ticketId)) return Promise.resolve(null);
    return this.run(async () => {
      const r = (await this.redis.eval(CLAIM_SCRIPT, 1, this.key(user, ticketId))) as [string | null, string | null] | null;
      if (!Array.isArray(r)) return null;
      const [purpose, methodId] = r;
      if (purpose === 'recoveryCodes') return { purpose };
      return purpose === 'authenticator' && typeof methodId === 'string' ? { purpose, methodId } : null;
    });
  }

  methodOf(user: UserRef, ticketId: string): Promise<string | null> {
    if (!TICKET_ID.test(ticketId)) return Promise.resolve(null);
    return this.run(async () => {
      const [purpose, methodId] = await this.redis.hmget(this.key(user, ticketId), 'p', 'm');
      return purpose === 'authenticator' ? (methodId ?? null) : null;
    });
  }

  remove(user: UserRef, ticketId: string): Promise<void> {
    if (!TICKET_ID.test(ticketId)) return Promise.resolve();
    return this.run(async () => {
      const sent = this.redis.del(this.key(user, ticketId));
      // The confirm's last write: the insights counters and the R18 notice's pacer slot leave in its socket write.
      this.rider?.flush();
      await sent;
    });
  }
}
