import type { UserRef } from '../model/user';
import type { DirectoryUser } from '../ports/directory';
import type { CampaignKind, OptionalKind, OutboundMessage } from './model';

/** Hands messages to delivery (a BullMQ queue shared by all workers, or the in-process loop without Redis). */
export interface CampaignOutbox {
  enqueue(messages: readonly OutboundMessage[]): Promise<void>;
}

/**
 * "Already told about this event" records, shared by every worker. A scan queues a page's messages first and marks
 * them told after, so a crash in between re-queues (the delivery ledger drops the copy) instead of losing anyone.
 */
export interface CampaignLedger {
  /** For each key: was it marked told (and not yet expired or forgotten)? */
  told(keys: readonly string[]): Promise<readonly boolean[]>;
  markTold(keys: readonly string[], ttlMs: number): Promise<void>;
  /**
   * Marks one key told unless it already is, in one step for every worker and instance (check-then-mark would let
   * parallel callers all see "not told"): true = this caller marked it and owns the event.
   */
  markToldIfNew(key: string, ttlMs: number): Promise<boolean>;
  /** The event is over (the account is unlocked again): the next one is news. */
  forget(keys: readonly string[]): Promise<void>;
}

export interface CampaignPreference {
  readonly optedOut: boolean;
  /** Epoch ms until which this kind is snoozed; null = not snoozed. */
  readonly snoozedUntil: number | null;
  /** Snoozes used so far (enforcement after N). */
  readonly snoozes: number;
}

/** The user's own choices per campaign kind ("stop these reminders", "snooze 7 days"), and their time zone. */
export interface CampaignPreferences {
  get(user: UserRef, kind: OptionalKind): Promise<CampaignPreference>;
  optOut(user: UserRef, kind: OptionalKind): Promise<void>;
  optIn(user: UserRef, kind: OptionalKind): Promise<void>;
  /** Record a snooze until `until`; resolves with the number of snoozes used, this one included. */
  snooze(user: UserRef, kind: OptionalKind, until: number): Promise<number>;
}

/** Where a paged directory scan got to, so a scan interrupted by an outage resumes there (F23). */
export interface ScanProgress {
  /** The directory's cursor for the next page; null = start. */
  readonly cursor: string | null;
  /** When this pass started (epoch ms). */
  readonly startedAt: number;
  readonly pages: number;
  readonly users: number;
}

export interface ScanCursorStore {
  load(scan: string): Promise<ScanProgress | null>;
  save(scan: string, progress: ScanProgress): Promise<void>;
  clear(scan: string): Promise<void>;
}

/** The part of the directory a scan needs (ad's contract on the Directory port). */
export interface ScanDirectory {
  scanUsers(cursor: string | null, pageSize: number): Promise<{ readonly users: readonly DirectoryUser[]; readonly cursor: string | null }>;
  readPasswordExpiry(target: DirectoryUser): Promise<number | null>;
  /** locked null: the directory cannot tell (Entra); the lockout poll then neither announces nor ends an episode. */
  readLockout(target: DirectoryUser): Promise<{ readonly locked: boolean | null; readonly lockedAt: number | null }>;
}

/** The user's time zone (IANA), as Teams last told the bot; null when unknown. */
export interface TimeZoneLookup {
  timeZone(user: UserRef): Promise<string | null>;
}

/** The address of one proactive send, for pacing: Teams limits per conversation and per tenant (R39). */
export interface PaceKey {
  readonly conversationId: string;
  readonly tenantId: string | undefined;
}

/**
 * Paces proactive sends to Teams' limits. The in-process pacer holds one process's sends; the Redis pacer holds
 * every worker's and bot instance's together (per conversation 7/s · 60/30 s · 1,800/h, per tenant the configured
 * rate) and makes a 429's Retry-After hold for all of them.
 */
export interface SendPacer {
  /**
   * Wait until one more send to this conversation is allowed, and take that slot. When the wait would be longer than
   * the pacer sleeps, nothing is taken and the caller is told when to come back (a job goes back to the queue).
   */
  acquire(key: PaceKey): Promise<{ readonly ok: true } | { readonly ok: false; readonly retryInMs: number }>;
  /** A 429 said Retry-After `ms`: no send to this conversation before then, from any process. */
  pause(key: PaceKey, ms: number): Promise<void>;
}

/** What the delivery ledger knows about one message id. */
export type DeliveryClaim =
  /** Nobody has it (or an earlier attempt died before posting): this attempt may send. */
  | { readonly state: 'claimed' }
  /** Already sent, or given up on: do nothing. */
  | { readonly state: 'done'; readonly outcome: 'sent' | 'dead' }
  /** Another live attempt holds it (before posting, or while it resolves an in-doubt message): come back later. */
  | { readonly state: 'busy'; readonly retryInMs: number }
  /**
   * An earlier attempt died while its POST was in flight: it may have arrived. `since` is when that POST left (epoch
   * ms, 0 when unknown); `holder` names the record as it is, for {@link DeliveryLedger.adopt}. Resolve it with a
   * read-back (domain/campaigns/inDoubt.ts), never by sending blindly.
   */
  | { readonly state: 'uncertain'; readonly since: number; readonly holder: string };

/**
 * Exactly-once bookkeeping per message id (R39, F21), shared by every worker: claimed → posting → sent | dead, and
 * posting → resolving (one attempt reads an in-doubt message back) → sent | posting again (re-sent) | dead.
 * A retried job, a stalled job taken over by another worker, or the same id queued twice finds the record and does
 * not send again.
 */
export interface DeliveryLedger {
  claim(messageId: string, attempt: string, leaseMs: number, now: number): Promise<DeliveryClaim>;
  /**
   * Right before the POST leaves: from here a crash means "maybe delivered". `since` is the time the first POST
   * of this message left (a re-send after an in-doubt read keeps the first one's time, so a later read looks far
   * enough back).
   */
  markPosting(messageId: string, attempt: string, ttlMs: number, since: number): Promise<void>;
  /**
   * Take over an in-doubt message to resolve it: only if the record is still `holder` (compare-and-set), so two
   * attempts never both read back and re-send. The taker holds it for `leaseMs` (others are told busy), then it is
   * in doubt again. Resolves false when the record changed.
   */
  adopt(messageId: string, holder: string, attempt: string, leaseMs: number, now: number): Promise<boolean>;
  /** The connector refused the POST (429/412): back to claimed, safe to send again. */
  markRefused(messageId: string, attempt: string, leaseMs: number): Promise<void>;
  complete(messageId: string, outcome: 'sent' | 'dead', ttlMs: number): Promise<void>;
  /** This attempt sent nothing and gives the message back (to be retried later). */
  release(messageId: string, attempt: string): Promise<void>;
  /**
   * The queue gave up on the message (its job failed for good: its attempts threw, or it stalled too often): marks it
   * dead unless it is already sent or dead, in one step, and says what it was — `open` (nobody posted it) or
   * `in_doubt` (a POST was in flight when the last holder died: it may have arrived).
   */
  abandon(messageId: string, ttlMs: number): Promise<'sent' | 'dead' | 'open' | 'in_doubt'>;
}

export type DeadLetterReason =
  | 'blocked'
  | 'not_reachable'
  | 'install_denied'
  | 'failed'
  | 'retries_exhausted'
  | 'uncertain_after_crash'
  | 'no_security_channel'
  /** Every attempt of the job threw (e.g. the stores unreachable): the queue failed it for good. */
  | 'job_failed'
  /** The job's worker stalled or died more often than the queue allows (BullMQ maxStalledCount). */
  | 'stalled';

/** A message that was not (or maybe not) delivered, with why; for the admin, never with the card's text. */
export interface DeadLetter {
  readonly messageId: string;
  readonly kind: string;
  readonly tenantId: string;
  readonly reason: DeadLetterReason;
  readonly status?: number;
  readonly attempts: number;
  readonly at: number;
  /** For job_failed / stalled: the queue's own reason (an error code or message, never card text). */
  readonly detail?: string;
  /** The job failed while a POST of it was in flight: it may have arrived. */
  readonly inDoubt?: boolean;
}

export interface DeadLetters {
  add(letter: DeadLetter): Promise<void>;
  list(limit: number): Promise<readonly DeadLetter[]>;
}

/**
 * The cards that went to each user's chat (R39): a card's buttons carry its message id, and a button acts only when
 * that card was sent to the user who taps it — a forged or copied button for another user's card, or for a card
 * never sent, is refused. Kept under the user's hash tag (F20), as long as the delivery ledger remembers.
 */
export interface SentCards {
  record(user: UserRef, messageId: string, kind: CampaignKind, ttlMs: number): Promise<void>;
  /** The kind of the card `messageId` that went to this user; null when it never did (or is forgotten). */
  kindOf(user: UserRef, messageId: string): Promise<CampaignKind | null>;
  /** True for the first `action` on this card by this user, false for every later one (one step, any instance). */
  actOnce(user: UserRef, messageId: string, action: string, ttlMs: number): Promise<boolean>;
}
