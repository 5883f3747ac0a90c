import type { Activity, ConversationReference, ResourceResponse } from 'botbuilder';
import type { PaceKey, SendPacer } from '../domain/campaigns/ports';

/** How a send ended. `blocked` = 403 MessageWritesBlocked: the user blocked or removed the bot. */
export type TeamsSendResult =
  | { readonly ok: true; readonly activityId: string | undefined; readonly attempts: number }
  | { readonly ok: false; readonly reason: 'blocked' | 'no_reference' | 'failed'; readonly status?: number; readonly attempts: number }
  /** The shared pacer has no slot soon enough: nothing was sent; try again after `retryInMs`. */
  | { readonly ok: false; readonly reason: 'paced'; readonly retryInMs: number; readonly status?: undefined; readonly attempts: number };

export interface TeamsSenderOptions {
  /** Sends per conversation per second (Teams: 7). */
  readonly perSecond?: number;
  /** Sends per conversation per 30 s (Teams: 60). */
  readonly perThirtySeconds?: number;
  /** Retries after the first attempt (default 4). */
  readonly maxRetries?: number;
  /** First backoff delay (default 500 ms), doubled each retry, with full jitter, capped at maxDelayMs. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** 0 ≤ x < 1, for jitter. */
  readonly random?: () => number;
  /**
   * Where the pacing is held. Default: this process only (the limits above). The campaign workers pass the Redis
   * pacer so every worker and bot instance shares the per-conversation and per-tenant limits and Retry-After.
   */
  readonly pacer?: SendPacer;
}

/**
 * Per-send hooks for the worker's exactly-once ledger: `aroundPost` wraps each POST (the worker bounds how many are
 * in flight and marks "posting" right before: from there a crash means "maybe delivered"); `onRefused` runs after a
 * 429/412 answer (the connector did not take it, so it may be sent again).
 */
export interface TeamsSendHooks {
  readonly aroundPost?: <T>(post: () => Promise<T>) => Promise<T>;
  readonly onRefused?: () => Promise<void>;
}

/** Answers that mean the connector did not take the message. */
const REFUSED = new Set([412, 429]);

const RETRYABLE = new Set([412, 429, 502, 504]);

/** What the sender needs from the adapter: CloudAdapter, or the workers' light ConnectorChannel. */
export interface ProactiveChannel {
  continueConversationAsync(
    appId: string,
    reference: Partial<ConversationReference>,
    logic: (ctx: { sendActivity(activity: string | Partial<Activity>): Promise<ResourceResponse | undefined> }) => Promise<void>,
  ): Promise<void>;
}

/**
 * The one helper the bot uses for proactive sends (outcomes of pages, notifications): paces sends per conversation
 * to Teams' limits (7/s and 60/30 s), retries 429/412/502/504 with exponential backoff and full jitter (honouring
 * Retry-After), and reports 403 MessageWritesBlocked as `blocked` instead of throwing. The Bot Connector client
 * already retries some 429/5xx answers itself; this loop covers 412 and whatever the client gives up on.
 */
export class TeamsSender {
  private readonly pacer: SendPacer;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    private readonly adapter: ProactiveChannel,
    private readonly appId: string,
    options: TeamsSenderOptions = {},
  ) {
    this.maxRetries = options.maxRetries ?? 4;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = options.random ?? Math.random;
    this.pacer =
      options.pacer ??
      new InProcessPacer({ perSecond: options.perSecond ?? 7, perThirtySeconds: options.perThirtySeconds ?? 60, now: this.now, sleep: this.sleep });
  }

  /** Send a message or activity to the conversation of `reference`. Never throws for delivery problems. */
  async send(
    reference: Partial<ConversationReference> | null | undefined,
    activity: string | Partial<Activity>,
    hooks: TeamsSendHooks = {},
  ): Promise<TeamsSendResult> {
    const conversationId = reference?.conversation?.id;
    if (!reference || !conversationId || !reference.serviceUrl) return { ok: false, reason: 'no_reference', attempts: 0 };
    const key: PaceKey = { conversationId, tenantId: reference.conversation?.tenantId };
    let attempts = 0;
    let outcome: TeamsSendResult | undefined;
    try {
      await this.adapter.continueConversationAsync(this.appId, reference, async (ctx) => {
        for (;;) {
          const slot = await this.pacer.acquire(key);
          if (!slot.ok) {
            outcome = { ok: false, reason: 'paced', retryInMs: slot.retryInMs, attempts };
            return;
          }
          attempts++;
          try {
            const post = (): ReturnType<typeof ctx.sendActivity> => ctx.sendActivity(activity);
            const r = hooks.aroundPost ? await hooks.aroundPost(post) : await post();
            outcome = { ok: true, activityId: r?.id, attempts };
            return;
          } catch (e) {
            const status = statusOf(e);
            if (status === 403 && isWritesBlocked(e)) {
              outcome = { ok: false, reason: 'blocked', status, attempts };
              return;
            }
            if (status === undefined || !RETRYABLE.has(status) || attempts > this.maxRetries) {
              outcome = { ok: false, reason: 'failed', ...(status === undefined ? {} : { status }), attempts };
              return;
            }
            if (REFUSED.has(status)) await hooks.onRefused?.();
            const retryAfter = retryAfterMs(e, this.now());
            // Retry-After is held by the pacer (for every process when it is the Redis one); the jitter spreads retries.
            if (retryAfter !== undefined) await this.pacer.pause(key, Math.min(Math.max(retryAfter, 0), this.maxDelayMs));
            await this.sleep(this.backoff(attempts, retryAfter));
          }
        }
      });
    } catch (e) {
      const status = statusOf(e);
      outcome ??= { ok: false, reason: 'failed', ...(status === undefined ? {} : { status }), attempts };
    }
    return outcome ?? { ok: false, reason: 'failed', attempts };
  }

  /**
   * Delay before retry n (1-based): with Retry-After a small jitter only (the pacer holds Retry-After itself, so the
   * next acquire waits for it), else full jitter over base·2^(n-1).
   */
  private backoff(attempt: number, retryAfter: number | undefined): number {
    const exp = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    const jitter = Math.floor(this.random() * exp);
    return retryAfter !== undefined ? Math.floor(this.random() * 100) : jitter;
  }
}

/** Pacing for one process: Teams' per-conversation limits (7/s, 60/30 s) and Retry-After, held in memory. */
export class InProcessPacer implements SendPacer {
  private readonly sent = new Map<string, number[]>();
  private readonly pausedUntil = new Map<string, number>();

  constructor(
    private readonly o: {
      readonly perSecond: number;
      readonly perThirtySeconds: number;
      readonly now: () => number;
      readonly sleep: (ms: number) => Promise<void>;
    },
  ) {}

  async pause(key: PaceKey, ms: number): Promise<void> {
    const until = this.o.now() + ms;
    if ((this.pausedUntil.get(key.conversationId) ?? 0) < until) this.pausedUntil.set(key.conversationId, until);
  }

  /**
   * Reserve the next send time for this conversation, then wait for it. Reservations never go backwards, so "the
   * 7th most recent send is ≥ 1 s before this one and the 60th most recent ≥ 30 s before" keeps every window within
   * the limits, also for concurrent callers.
   */
  async acquire(key: PaceKey): Promise<{ readonly ok: true }> {
    const { conversationId } = key;
    const now = this.o.now();
    const times = (this.sent.get(conversationId) ?? []).filter((t) => t > now - 30_000);
    let at = Math.max(now, times[times.length - 1] ?? now, this.pausedUntil.get(conversationId) ?? 0);
    const seventh = times[times.length - this.o.perSecond];
    if (seventh !== undefined) at = Math.max(at, seventh + 1000);
    const sixtieth = times[times.length - this.o.perThirtySeconds];
    if (sixtieth !== undefined) at = Math.max(at, sixtieth + 30_000);
    times.push(at);
    this.sent.set(conversationId, times);
    if (at > now) await this.o.sleep(at - now);
    return { ok: true };
  }
}

function statusOf(e: unknown): number | undefined {
  const o = e as { statusCode?: unknown; status?: unknown; response?: { status?: unknown } } | null;
  const s = o?.statusCode ?? o?.status ?? o?.response?.status;
  return typeof s === 'number' ? s : undefined;
}

function isWritesBlocked(e: unknown): boolean {
  const o = e as { code?: unknown; body?: unknown; response?: { bodyAsText?: unknown; parsedBody?: unknown }; message?: unknown } | null;
  const texts = [o?.code, o?.message, o?.response?.bodyAsText, JSON.stringify(o?.response?.parsedBody ?? o?.body ?? '')];
  return texts.some((t) => typeof t === 'string' && t.includes('MessageWritesBlocked'));
}

function retryAfterMs(e: unknown, now: number): number | undefined {
  const h = (e as { response?: { headers?: { get?: (n: string) => string | undefined | null } } } | null)?.response?.headers;
  const v = typeof h?.get === 'function' ? h.get('retry-after') : undefined;
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return secs * 1000;
  const date = Date.parse(v);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}
