import type { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { SsprError } from '../../domain/errors';
import { userKey, type UserRef } from '../../domain/model/user';

/**
 * Short-lived tickets that let the authenticator page show one pending TOTP enrolment, once, to its own user.
 * The security-info journey starts the enrolment (after the R19 proof), issues a ticket and opens
 * `/app/authenticator/?ticket=<id>` as a Teams dialog; the page reads the QR code and key once and confirms a code.
 * Holds references only (method id), never the secret.
 */
export interface EnrolmentTickets {
  /** A new ticket (128-bit id) for the user's pending authenticator method; lives `ttlSeconds`. */
  issue(user: UserRef, methodId: string): Promise<string>;
  /** The method id the first time the page asks to display it; null afterwards, when expired or another user's. */
  claimDisplay(user: UserRef, ticketId: string): Promise<string | null>;
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

/** In-process tickets (development and tests without Redis). */
export class MemoryEnrolmentTickets implements EnrolmentTickets {
  private readonly tickets = new Map<string, { methodId: string; shown: boolean; expiresAt: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlSeconds = ENROLMENT_TICKET_TTL_SECONDS,
  ) {}

  private key(user: UserRef, id: string): string {
    return `${userKey(user)}|${id}`;
  }

  private live(user: UserRef, id: string): { methodId: string; shown: boolean; expiresAt: number } | null {
    if (!TICKET_ID.test(id)) return null;
    const t = this.tickets.get(this.key(user, id));
    if (!t) return null;
    if (t.expiresAt <= this.now()) {
      this.tickets.delete(this.key(user, id));
      return null;
    }
    return t;
  }

  issue(user: UserRef, methodId: string): Promise<string> {
    const id = newTicketId();
    this.tickets.set(this.key(user, id), { methodId, shown: false, expiresAt: this.now() + this.ttlSeconds * 1000 });
    return Promise.resolve(id);
  }

  claimDisplay(user: UserRef, ticketId: string): Promise<string | null> {
    const t = this.live(user, ticketId);
    if (!t || t.shown) return Promise.resolve(null);
    t.shown = true;
    return Promise.resolve(t.methodId);
  }

  methodOf(user: UserRef, ticketId: string): Promise<string | null> {
    return Promise.resolve(this.live(user, ticketId)?.methodId ?? null);
  }

  remove(user: UserRef, ticketId: string): Promise<void> {
    this.tickets.delete(this.key(user, ticketId));
    return Promise.resolve();
  }
}

const CLAIM_SCRIPT = `if redis.call('HEXISTS', KEYS[1], 'm') == 1 and redis.call('HSETNX', KEYS[1], 's', '1') == 1 then
  return redis.call('HGET', KEYS[1], 'm') end
return false`;

/** Tickets in Redis, under the user's hash tag (F20), expiring by TTL. Redis errors → SsprError('state_unavailable'). */
export class RedisEnrolmentTickets implements EnrolmentTickets {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds = ENROLMENT_TICKET_TTL_SECONDS,
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

  issue(user: UserRef, methodId: string): Promise<string> {
    const id = newTicketId();
    return this.run(async () => {
      await this.redis.multi().hset(this.key(user, id), 'm', methodId).expire(this.key(user, id), this.ttlSeconds).exec();
      return id;
    });
  }

  claimDisplay(user: UserRef, ticketId: string): Promise<string | null> {
    if (!TICKET_ID.test(ticketId)) return Promise.resolve(null);
    return this.run(async () => {
      const r = (await this.redis.eval(CLAIM_SCRIPT, 1, this.key(user, ticketId))) as string | null;
      return typeof r === 'string' ? r : null;
    });
  }

  methodOf(user: UserRef, ticketId: string): Promise<string | null> {
    if (!TICKET_ID.test(ticketId)) return Promise.resolve(null);
    return this.run(() => this.redis.hget(this.key(user, ticketId), 'm'));
  }

  remove(user: UserRef, ticketId: string): Promise<void> {
    if (!TICKET_ID.test(ticketId)) return Promise.resolve();
    return this.run(async () => {
      await this.redis.del(this.key(user, ticketId));
    });
  }
}
