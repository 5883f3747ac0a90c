import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';

/** A message the connector accepted into a conversation (what Teams would show, and Graph would list). */
export interface AcceptedMessage {
  readonly id: string;
  readonly at: number;
  readonly conversationId: string;
  readonly activity: Record<string, unknown>;
}

/**
 * What a Graph stand-in reads (test/support/graphStub.ts, "Teams messages"): the conversations as the connector
 * holds them. The worker never sees this; it reads over Graph's HTTP protocol.
 */
export interface ConversationLog {
  /** The bot's 1:1 conversation with this user (by Entra object id), once the connector has seen one. */
  personalConversation(userObjectId: string): string | null;
  /** Messages accepted into a conversation, oldest first. */
  messages(conversationId: string): readonly AcceptedMessage[];
}

/** One POST …/activities the connector received. */
export interface Arrival {
  readonly at: number;
  readonly tenant: string;
  readonly messageId: string;
  /** 0 = the client went away before the connector took the message (never accepted). */
  readonly status: number;
  /** For a 200: arrival minus the message's createdAt (ms). */
  readonly delayMs: number;
}

/**
 * A local Bot Connector stand-in for the campaign tests and the bench (the real one is not reachable from here):
 * `POST /v3/conversations/:id/activities` answers 429 with `Retry-After` to a share of sends (seeded, so runs repeat)
 * and 200 with an activity id otherwise. The harness renders "campaign <messageId> <createdAt>" as the text and puts
 * the tenant in the conversation id (`a:<tenant>:<user>`), so the connector can count per message and per tenant.
 *
 * When a request counts: on its complete body. The connector records the arrival, stores the message in the
 * conversation (a 200) and only then answers, so a worker killed after its body left but before the answer came
 * back has delivered (counted once, no answer seen); one killed before its body was complete has not (Node never
 * emits 'end', nothing is counted). That is also what a real connector does with a request whose client died: it
 * acts on a complete request, and cannot act on an incomplete one; the client can't tell which happened.
 *
 * Fault hooks, one-shot per message id, so a test can kill a worker with a POST in flight:
 * - `holdAfterAccept`: accept and store the message, then hold the answer (the client waits) until it goes away;
 * - `holdBeforeAccept`: read the body but don't accept it yet; when the client goes away, drop it (status 0).
 * `held` lists the message ids being held right now.
 */
export class FlakyConnector implements ConversationLog {
  readonly arrivals: Arrival[] = [];
  readonly holdAfterAccept = new Set<string>();
  readonly holdBeforeAccept = new Set<string>();
  readonly held = new Set<string>();
  private readonly conversations = new Map<string, AcceptedMessage[]>();
  private readonly personal = new Map<string, string>();
  private server: Server | null = null;
  private seed: number;
  port = 0;

  constructor(
    private readonly o: { readonly share429: number; readonly retryAfterSeconds: number; readonly seed?: number } = { share429: 0, retryAfterSeconds: 1 },
  ) {
    this.seed = o.seed ?? 42;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** mulberry32: a repeatable share of 429s. */
  private random(): number {
    let t = (this.seed = (this.seed + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const m = /\/v3\/conversations\/([^/]+)\/activities/.exec(req.url ?? '');
        if (req.method !== 'POST' || !m) {
          res.writeHead(404).end('{}');
          return;
        }
        const now = Date.now();
        const conversation = decodeURIComponent(m[1] ?? '');
        const tenant = conversation.split(':')[1] ?? '';
        let text = '';
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          text = typeof body.text === 'string' ? body.text : '';
        } catch {
          /* counted with an empty id */
        }
        const [, messageId = '', createdAt = '0'] = text.split(' ');
        if (this.holdBeforeAccept.delete(messageId)) {
          this.held.add(messageId);
          res.on('close', () => {
            this.held.delete(messageId);
            this.arrivals.push({ at: Date.now(), tenant, messageId, status: 0, delayMs: 0 });
          });
          return;
        }
        const throttle = this.random() < this.o.share429;
        const status = throttle ? 429 : 200;
        this.arrivals.push({ at: now, tenant, messageId, status, delayMs: throttle ? 0 : now - Number(createdAt) });
        if (throttle) {
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(this.o.retryAfterSeconds) });
          res.end(JSON.stringify({ error: { code: 'TooManyRequests', message: 'throttled' } }));
          return;
        }
        const id = randomUUID();
        this.accept(conversation, id, now, body);
        if (this.holdAfterAccept.delete(messageId)) {
          this.held.add(messageId);
          res.on('close', () => this.held.delete(messageId));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id }));
      });
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
  }

  private accept(conversationId: string, id: string, at: number, activity: Record<string, unknown>): void {
    const list = this.conversations.get(conversationId) ?? [];
    list.push({ id, at, conversationId, activity });
    this.conversations.set(conversationId, list);
    const recipient = activity.recipient as { aadObjectId?: unknown } | undefined;
    const conversation = activity.conversation as { conversationType?: unknown } | undefined;
    if (typeof recipient?.aadObjectId === 'string' && conversation?.conversationType === 'personal') this.personal.set(recipient.aadObjectId, conversationId);
  }

  /** The app is installed for this user: Teams has the bot's 1:1 conversation with them (empty until a message). */
  installFor(userObjectId: string, conversationId: string): void {
    this.personal.set(userObjectId, conversationId);
  }

  personalConversation(userObjectId: string): string | null {
    return this.personal.get(userObjectId) ?? null;
  }

  messages(conversationId: string): readonly AcceptedMessage[] {
    return this.conversations.get(conversationId) ?? [];
  }

  /** 200s per message id. */
  deliveries(): Map<string, number> {
    const m = new Map<string, number>();
    for (const a of this.arrivals) if (a.status === 200) m.set(a.messageId, (m.get(a.messageId) ?? 0) + 1);
    return m;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/**
 * Requests per second per tenant: the least-squares slope of request number over arrival time across the middle 60 %
 * of that tenant's requests (robust to a stalled process bunching a few arrivals), and the busiest 1-s window.
 */
export function tenantRates(arrivals: readonly Arrival[]): Map<string, { requests: number; perSecond: number; maxInOneSecond: number }> {
  const by = new Map<string, number[]>();
  for (const a of arrivals) by.set(a.tenant, [...(by.get(a.tenant) ?? []), a.at]);
  const out = new Map<string, { requests: number; perSecond: number; maxInOneSecond: number }>();
  for (const [tenant, times] of by) {
    times.sort((x, y) => x - y);
    const lo = Math.floor(times.length * 0.2);
    const hi = Math.floor(times.length * 0.8);
    const mid = times.slice(lo, hi + 1);
    const n = mid.length;
    const mt = mid.reduce((a, t) => a + t, 0) / n;
    const mi = (n - 1) / 2;
    let num = 0;
    let den = 0;
    mid.forEach((t, i) => {
      num += (t - mt) * (i - mi);
      den += (t - mt) ** 2;
    });
    const slope = den > 0 ? (num / den) * 1000 : 0;
    let max = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++;
      max = Math.max(max, i - j + 1);
    }
    out.set(tenant, { requests: times.length, perSecond: slope, maxInOneSecond: max });
  }
  return out;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
