import type { CampaignKind, Recipient } from './model';

/**
 * A message is "in doubt" when the attempt that sent it died while its POST to the Bot Connector was in flight: the
 * connector may have taken it (then the user has it) or not (then nobody will send it). The Bot Connector takes no
 * idempotency key, so the only way to know is to read the conversation back and look for the message's key.
 */

/**
 * Where the idempotency key travels: a root property of every Adaptive Card the worker sends. Graph lists a card
 * attachment's `content` as the card's JSON, so the read-back looks for this property there.
 */
export const IDEMPOTENCY_CARD_PROPERTY = 'ssprIdempotencyKey';

/** What a read-back found. */
export type ReadBackResult =
  /** The conversation holds a message carrying this key: it was delivered. */
  | 'found'
  /** The conversation was read from the posting time on and holds no such message: it never arrived. */
  | 'absent'
  /** The read is not allowed or not set up (no Graph permission, no team id for a channel): nobody can tell. */
  | 'unavailable'
  /** Graph answered 429/5xx or did not answer: ask again later. */
  | 'error';

/** Where to look and what for. */
export interface ReadBackQuery {
  /** The message's idempotency key, as stamped into what was sent. */
  readonly messageId: string;
  readonly recipient: Recipient;
  /** Epoch ms the in-doubt POST left (the read looks at messages from a little before this on). */
  readonly since: number;
}

/**
 * Reads a conversation back to see whether a message arrived (adapters/campaigns/graphDeliveryReadBack.ts: Microsoft
 * Graph, the bot's 1:1 chat with the user or the security channel).
 */
export interface DeliveryReadBack {
  find(query: ReadBackQuery): Promise<ReadBackResult>;
}

/** What to do with an in-doubt message when nobody can read the conversation back. */
export type InDoubtFallback = 'resend' | 'give_up';

/**
 * Per campaign kind, when no read-back is possible: lockout and security alerts are re-sent (at-least-once: a
 * second copy of "your account was locked" is a nuisance, a missing one can hide an attack); reminders and nudges
 * are given up (at-most-once: the next scan reminds again at T-7/3/1 or re-nudges, and a duplicate reminder is the
 * kind of noise that makes people mute the bot). The admin guide says the same ("In-doubt messages").
 */
export const IN_DOUBT_FALLBACK: Readonly<Record<CampaignKind, InDoubtFallback>> = {
  lockout: 'resend',
  securityAlert: 'resend',
  expiry: 'give_up',
  registration: 'give_up',
  reconfirm: 'give_up',
};

/** The decision for one in-doubt message. */
export type InDoubtDecision =
  /** Too early: a message the connector accepted may not be readable yet. Look again after `inMs`. */
  | { readonly action: 'wait'; readonly inMs: number }
  /** Read the conversation back now. */
  | { readonly action: 'read' }
  /** It arrived: record it sent, send nothing. */
  | { readonly action: 'mark_sent' }
  /** It did not arrive (or nobody can tell and the kind is at-least-once): send it again. */
  | { readonly action: 'resend'; readonly why: 'absent' | 'fallback' }
  /** Nobody can tell and the kind is at-most-once: dead-letter it as "maybe delivered". */
  | { readonly action: 'give_up' }
  /** The read failed for now: retry the job later (never on its last attempt: then the kind's fallback decides). */
  | { readonly action: 'retry' };

/**
 * Resolves an in-doubt message (R39, F21), a pure function of the time, the kind and the read-back's answer:
 * first wait until a message the connector accepted is visible (`visibleAfterMs` after the POST left), then read
 * back; found → sent, absent → resend once, unavailable → the kind's fallback. A read that fails (`error`) is
 * retried, except on the job's last attempt: a job that fails for good leaves no one to resolve the message, so
 * the fallback decides then too (a lockout alert is never lost silently, a reminder is dead-lettered).
 */
export function decideInDoubt(o: {
  readonly kind: CampaignKind;
  readonly since: number;
  readonly now: number;
  readonly visibleAfterMs: number;
  /** null = not read yet (or no read-back configured: then say `unavailable`). */
  readonly readBack: ReadBackResult | null;
  /** This is the job's last attempt: nothing will retry it. */
  readonly lastAttempt?: boolean;
}): InDoubtDecision {
  if (o.readBack === null) {
    const ready = o.since + o.visibleAfterMs;
    return o.now < ready ? { action: 'wait', inMs: ready - o.now } : { action: 'read' };
  }
  switch (o.readBack) {
    case 'found':
      return { action: 'mark_sent' };
    case 'absent':
      return { action: 'resend', why: 'absent' };
    case 'error':
      if (!o.lastAttempt) return { action: 'retry' };
      return fallback(o.kind);
    case 'unavailable':
      return fallback(o.kind);
  }
}

function fallback(kind: CampaignKind): InDoubtDecision {
  return IN_DOUBT_FALLBACK[kind] === 'resend' ? { action: 'resend', why: 'fallback' } : { action: 'give_up' };
}
