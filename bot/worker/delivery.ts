import type { Activity, ConversationReference } from 'botbuilder';
import type { Clock } from '../../domain/ports/clock';
import type { ConversationRefStore } from '../../domain/ports/conversationRefs';
import type { DeadLetterReason, DeadLetters, DeliveryLedger, SentCards } from '../../domain/campaigns/ports';
import type { OutboundMessage } from '../../domain/campaigns/model';
import { IDEMPOTENCY_CARD_PROPERTY, decideInDoubt, type DeliveryReadBack, type ReadBackResult } from '../../domain/campaigns/inDoubt';
import type { TeamsSender } from '../teamsSender';
import { Semaphore } from '../../adapters/crypto/semaphore';

/** Turns a message into the activity for its recipient, in their language and time zone. */
export type CampaignRenderer = (message: OutboundMessage, locale: string | undefined, timeZone: string | null) => Partial<Activity>;

/** One delivery attempt: its unique id (the BullMQ lock token), its number (1-based) and the allowed maximum. */
export interface DeliveryAttempt {
  readonly id: string;
  readonly number: number;
  readonly max: number;
  /** Graph app installs already tried for this message. */
  readonly installs: number;
}

export type DeliveryOutcome =
  /** `readBack`: an in-doubt message was found in the conversation (posts 0), or re-sent after it was not. */
  | { readonly kind: 'sent'; readonly delayMs: number; readonly posts: number; readonly readBack?: 'found' | 'resent' | 'fallback' }
  /** not_due: a reminder the user dealt with (or silenced) before it went out (createCampaigns, StillDue). */
  | { readonly kind: 'skipped'; readonly why: 'duplicate' | 'uncertain' | 'not_due' }
  | { readonly kind: 'dead'; readonly reason: DeadLetterReason; readonly status?: number }
  /**
   * Put the job back for `inMs` (pacing, quiet hours, an app install under way, another attempt holding it, an
   * in-doubt message not yet readable).
   */
  | { readonly kind: 'later'; readonly inMs: number; readonly why: 'paced' | 'quiet' | 'busy' | 'installing' | 'in_doubt'; readonly installs: number }
  /** A transient failure: the queue retries with back-off. */
  | { readonly kind: 'retry'; readonly status?: number };

export interface DeliveryDeps {
  readonly sender: Pick<TeamsSender, 'send'>;
  readonly refs: ConversationRefStore;
  readonly ledger: DeliveryLedger;
  readonly deadLetters: DeadLetters;
  /** Where a user's delivered cards are recorded, so their buttons act only for them (R39). */
  readonly sentCards?: SentCards;
  readonly render: CampaignRenderer;
  readonly clock: Clock;
  /** The configured security-alert channel's conversation reference (hd's setting), or null. */
  readonly securityChannel: () => Promise<Partial<ConversationReference> | null>;
  /** Graph app install for users who never talked to the bot (adapters/helpdesk/graphAppInstaller.ts). */
  readonly installer?: { install(userObjectId: string): Promise<'installed' | 'already' | 'denied' | 'failed'> };
  /** How long to wait for Teams' install conversationUpdate before looking for the reference again. */
  readonly installWaitMs?: number;
  readonly maxInstalls?: number;
  /** How long a claim holds before another attempt may take it over (longer than one send with its retries). */
  readonly leaseMs?: number;
  /** POSTs in flight at once in this process (default 8). */
  readonly postsInFlight?: number;
  /** How long "sent" is remembered (a message id is never sent twice within it). */
  readonly rememberMs?: number;
  /**
   * Reads a conversation back to resolve in-doubt messages (POST in flight when a worker died); absent = nobody can
   * read back, and each kind falls back to its rule (domain/campaigns/inDoubt.ts IN_DOUBT_FALLBACK).
   */
  readonly readBack?: DeliveryReadBack;
  /** How long after the POST left a message the connector accepted is surely readable (CAMPAIGN_READBACK_AFTER_SECONDS). */
  readonly readBackAfterMs?: number;
}

const RETRYABLE = new Set([412, 429, 500, 502, 503, 504]);

/**
 * Delivers one campaign message exactly once (R39, F21): claims its id in the shared ledger, finds the user's 1:1
 * chat (installing the app through Graph for users who never talked to the bot), renders the card in their language,
 * sends it through the shared, paced TeamsSender, and records sent / dead with the reason. Never throws for delivery
 * problems: the outcome says what the queue should do.
 */
export class DeliveryProcessor {
  /** POSTs in flight per process: few, so a crash leaves few "maybe delivered" messages (the rest wait before marking). */
  private readonly posts: Semaphore;

  constructor(private readonly deps: DeliveryDeps) {
    this.posts = new Semaphore(deps.postsInFlight ?? 8);
  }

  async deliver(message: OutboundMessage, attempt: DeliveryAttempt): Promise<DeliveryOutcome> {
    const d = this.deps;
    const now = d.clock.now();
    if (message.notBefore !== undefined && message.notBefore > now)
      return { kind: 'later', inMs: message.notBefore - now, why: 'quiet', installs: attempt.installs };
    const lease = d.leaseMs ?? 120_000;
    const claim = await d.ledger.claim(message.id, attempt.id, lease, now);
    if (claim.state === 'done') return { kind: 'skipped', why: 'duplicate' };
    if (claim.state === 'busy') return { kind: 'later', inMs: claim.retryInMs, why: 'busy', installs: attempt.installs };
    /** When the first POST of this message left (kept across a re-send, so a later read looks back far enough). */
    let since: number | null = null;
    let readBack: 'resent' | 'fallback' | undefined;
    if (claim.state === 'uncertain') {
      // An earlier attempt died with its POST in flight: it may or may not have arrived. Read the conversation back.
      const r = await this.resolveInDoubt(message, attempt, claim.since, claim.holder, lease);
      if (r.kind !== 'resend') return r.outcome;
      since = claim.since || now;
      readBack = r.why === 'absent' ? 'resent' : 'fallback';
    }

    const ref =
      message.to.kind === 'user'
        ? ((await d.refs.get(message.to.user)) as (Partial<ConversationReference> & { localTimezone?: string }) | null)
        : await d.securityChannel();
    if (!ref?.conversation || !ref.serviceUrl) {
      if (message.to.kind === 'securityChannel') return this.giveUp(message, 'no_security_channel', attempt);
      if (d.installer && attempt.installs < (d.maxInstalls ?? 2)) {
        const installed = await d.installer.install(message.to.user.objectId);
        if (installed === 'denied') return this.giveUp(message, 'install_denied', attempt);
        if (installed === 'failed') {
          await d.ledger.release(message.id, attempt.id);
          return { kind: 'retry' };
        }
        // Teams now sends the install conversationUpdate to a bot instance, which stores the reference.
        await d.ledger.release(message.id, attempt.id);
        return { kind: 'later', inMs: d.installWaitMs ?? 10_000, why: 'installing', installs: attempt.installs + 1 };
      }
      return this.giveUp(message, 'not_reachable', attempt);
    }

    const timeZone = (ref as { localTimezone?: unknown }).localTimezone;
    const activity = withIdempotencyKey(d.render(message, ref.locale, typeof timeZone === 'string' ? timeZone : null), message.id);
    await this.recordSent(message);
    const r = await d.sender.send(ref, activity, {
      aroundPost: (post) =>
        this.posts.run(async () => {
          await d.ledger.markPosting(message.id, attempt.id, this.remember, since ?? d.clock.now());
          return post();
        }),
      onRefused: () => d.ledger.markRefused(message.id, attempt.id, lease),
    });
    if (r.ok) {
      await d.ledger.complete(message.id, 'sent', this.remember);
      return { kind: 'sent', delayMs: d.clock.now() - Math.max(message.createdAt, message.notBefore ?? 0), posts: r.attempts, ...(readBack ? { readBack } : {}) };
    }
    if (r.reason === 'paced') {
      await d.ledger.release(message.id, attempt.id);
      return { kind: 'later', inMs: r.retryInMs, why: 'paced', installs: attempt.installs };
    }
    if (r.reason === 'blocked') return this.giveUp(message, 'blocked', attempt, r.status);
    if (r.status === undefined || RETRYABLE.has(r.status)) {
      if (attempt.number >= attempt.max) return this.giveUp(message, 'retries_exhausted', attempt, r.status);
      // A 429/412/5xx answer means the connector did not take the message: another attempt may send it.
      await d.ledger.release(message.id, attempt.id);
      return r.status === undefined ? { kind: 'retry' } : { kind: 'retry', status: r.status };
    }
    return this.giveUp(message, 'failed', attempt, r.status);
  }

  /**
   * An in-doubt message (R39, F21): wait until what the connector accepted is readable, take the record over
   * (compare-and-set, so one attempt resolves it), read the conversation back, then: found → sent, absent → send
   * again (once: the re-send is an ordinary POST with its own posting record), nobody can tell → the kind's fallback.
   */
  private async resolveInDoubt(
    message: OutboundMessage,
    attempt: DeliveryAttempt,
    postedAt: number,
    holder: string,
    lease: number,
  ): Promise<{ kind: 'resend'; why: 'absent' | 'fallback' } | { kind: 'done'; outcome: DeliveryOutcome }> {
    const d = this.deps;
    const kind = message.card.kind;
    const visibleAfterMs = d.readBackAfterMs ?? 30_000;
    const later = (inMs: number, why: 'in_doubt' | 'busy'): { kind: 'done'; outcome: DeliveryOutcome } => ({
      kind: 'done',
      outcome: { kind: 'later', inMs: Math.max(1, inMs), why, installs: attempt.installs },
    });
    let found: ReadBackResult | null = d.readBack ? null : 'unavailable';
    const first = decideInDoubt({ kind, since: postedAt, now: d.clock.now(), visibleAfterMs, readBack: found });
    if (first.action === 'wait') return later(first.inMs, 'in_doubt');
    if (!(await d.ledger.adopt(message.id, holder, attempt.id, lease, d.clock.now()))) return later(1000, 'busy');
    if (d.readBack) {
      try {
        found = await d.readBack.find({ messageId: message.id, recipient: message.to, since: postedAt });
      } catch {
        found = 'error';
      }
    }
    const decision = decideInDoubt({ kind, since: postedAt, now: d.clock.now(), visibleAfterMs, readBack: found, lastAttempt: attempt.number >= attempt.max });
    switch (decision.action) {
      case 'mark_sent':
        await d.ledger.complete(message.id, 'sent', this.remember);
        return { kind: 'done', outcome: { kind: 'sent', delayMs: d.clock.now() - Math.max(message.createdAt, message.notBefore ?? 0), posts: 0, readBack: 'found' } };
      case 'resend':
        return { kind: 'resend', why: decision.why };
      case 'give_up':
        await d.ledger.complete(message.id, 'sent', this.remember);
        await this.dead(message, 'uncertain_after_crash', attempt);
        return { kind: 'done', outcome: { kind: 'skipped', why: 'uncertain' } };
      case 'retry':
        // Back to "in doubt" (with the first POST's time) so the next attempt reads again at once.
        await d.ledger.markPosting(message.id, attempt.id, this.remember, postedAt);
        return { kind: 'done', outcome: { kind: 'retry' } };
      case 'wait':
      case 'read':
        return later(decision.action === 'wait' ? decision.inMs : 1000, 'in_doubt');
    }
  }

  /**
   * The queue failed the message's job for good (every attempt threw, or it stalled more often than allowed): it
   * goes to the dead letters with the reason, unless it was sent (a job can stall after its POST went out) or is
   * already there. Never silent: this is the failed-job handler of both engines.
   */
  async failed(message: OutboundMessage, f: { readonly reason: 'job_failed' | 'stalled'; readonly attempts: number; readonly detail: string }): Promise<DeliveryOutcome> {
    const was = await this.deps.ledger.abandon(message.id, this.remember);
    if (was === 'sent' || was === 'dead') return { kind: 'skipped', why: 'duplicate' };
    await this.deps.deadLetters.add({
      messageId: message.id,
      kind: message.card.kind,
      tenantId: message.tenantId,
      reason: f.reason,
      attempts: f.attempts,
      at: this.deps.clock.now(),
      detail: f.detail.slice(0, 200),
      ...(was === 'in_doubt' ? { inDoubt: true } : {}),
    });
    return { kind: 'dead', reason: f.reason };
  }

  /** Recorded before the POST leaves: the user can tap the card before the connector's answer is back. */
  private async recordSent(message: OutboundMessage): Promise<void> {
    if (message.to.kind === 'user') await this.deps.sentCards?.record(message.to.user, message.id, message.card.kind, this.remember);
  }

  private get remember(): number {
    return this.deps.rememberMs ?? 30 * 86400_000;
  }

  private async giveUp(message: OutboundMessage, reason: DeadLetterReason, attempt: DeliveryAttempt, status?: number): Promise<DeliveryOutcome> {
    await this.deps.ledger.complete(message.id, 'dead', this.remember);
    await this.dead(message, reason, attempt, status);
    return status === undefined ? { kind: 'dead', reason } : { kind: 'dead', reason, status };
  }

  private async dead(message: OutboundMessage, reason: DeadLetterReason, attempt: DeliveryAttempt, status?: number): Promise<void> {
    await this.deps.deadLetters.add({
      messageId: message.id,
      kind: message.card.kind,
      tenantId: message.tenantId,
      reason,
      ...(status === undefined ? {} : { status }),
      attempts: attempt.number,
      at: this.deps.clock.now(),
    });
  }
}

/**
 * Stamps the message's idempotency key into every Adaptive Card of the activity (root property
 * {@link IDEMPOTENCY_CARD_PROPERTY}); Graph returns a card attachment's content as the JSON that was sent, so a
 * read-back finds the key there. Hosts ignore root properties they do not know.
 */
export function withIdempotencyKey(activity: Partial<Activity>, key: string): Partial<Activity> {
  if (!activity.attachments?.length) return activity;
  return {
    ...activity,
    attachments: activity.attachments.map((a) =>
      a.contentType === 'application/vnd.microsoft.card.adaptive' && a.content && typeof a.content === 'object'
        ? { ...a, content: { ...(a.content as Record<string, unknown>), [IDEMPOTENCY_CARD_PROPERTY]: key } }
        : a,
    ),
  };
}
