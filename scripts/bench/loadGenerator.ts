import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import en from '../../locales/en.json';
import nl from '../../locales/nl.json';
import { summarize, type LatencySummary } from './stats';

export const BENCH_TENANT = '00000000-0000-0000-0000-000000000001';

/** One simulated Teams user in a 1:1 chat with the bot. */
export interface BenchConversation {
  readonly objectId: string;
  readonly conversationId: string;
  readonly locale: 'en-US' | 'nl-NL';
  /** Next script position. */
  next: number;
}

/** `count` users; even ones speak English, odd ones Dutch. `tag` keeps the conversations of different phases apart. */
export function makeConversations(count: number, tag: string): BenchConversation[] {
  return Array.from({ length: count }, (_, i) => {
    const hex = (tag.charCodeAt(0) * 1_000_000 + i).toString(16).padStart(12, '0').slice(-12);
    const objectId = `be4c0000-0000-4000-8000-${hex}`;
    return { objectId, conversationId: `a:bench-${tag}-${objectId}`, locale: i % 2 === 0 ? 'en-US' : 'nl-NL', next: 0 };
  });
}

type TurnInput = { text: string } | { value: Record<string, unknown> };

/** Names of the scripted turns, in order (reports show round trips per kind). */
export const TURN_KINDS = ['typed help', 'menu submit: help', 'unknown text', 'menu submit: security info', 'cancel'] as const;

/**
 * The turns a user repeats, after a greeting: typed help, a menu-card submit, unknown text (→ menu), a menu submit that
 * starts the security-info journey (its first card; the dialog stack is saved) and cancel (the stack is cleared). Each
 * runs the gate, the root dialog and state, and the script ends idle so it can loop.
 */
const SCRIPT: Record<BenchConversation['locale'], readonly TurnInput[]> = {
  'en-US': [
    { text: 'help' },
    { value: { verb: 'menu', choice: 'help' } },
    { text: 'what is the weather like today' },
    { value: { verb: 'menu', choice: 'securityInfo' } },
    { text: 'cancel' },
  ],
  'nl-NL': [
    { text: 'hulp' },
    { value: { verb: 'menu', choice: 'help' } },
    { text: 'hoe laat is het' },
    { value: { verb: 'menu', choice: 'securityInfo' } },
    { text: 'annuleren' },
  ],
};

/** The kind of the turn {@link nextTurn} will send next. */
export const nextTurnKind = (c: BenchConversation): string => TURN_KINDS[c.next % TURN_KINDS.length]!;

/** A Teams-shaped message activity with deliveryMode expectReplies. */
export function benchActivity(c: BenchConversation, input: TurnInput): Record<string, unknown> {
  return {
    type: 'message',
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl: 'http://127.0.0.1:9/',
    from: { id: `29:${c.objectId}`, name: 'Bench User', aadObjectId: c.objectId },
    recipient: { id: '28:bot-id', name: 'Password Reset Assistant' },
    conversation: { id: c.conversationId, conversationType: 'personal', tenantId: BENCH_TENANT },
    channelData: { tenant: { id: BENCH_TENANT } },
    locale: c.locale,
    deliveryMode: 'expectReplies',
    ...input,
  };
}

export const greeting = (c: BenchConversation): Record<string, unknown> =>
  benchActivity(c, { text: c.locale === 'nl-NL' ? 'hallo' : 'hi' });

/** The conversation's next scripted turn. */
export function nextTurn(c: BenchConversation): Record<string, unknown> {
  const script = SCRIPT[c.locale];
  const input = script[c.next % script.length]!;
  c.next++;
  return benchActivity(c, input);
}

/** Prefixes of the turn-error messages (error.generic / error.unavailable) in both languages. */
const ERROR_PREFIXES = [en['error.generic'], en['error.unavailable'], nl['error.generic'], nl['error.unavailable']].map(
  (s) => s.split('{')[0]!.slice(0, 30),
);

export interface TurnOutcome {
  ok: boolean;
  /** Why not ok: HTTP status, empty reply, or the bot's error message. */
  problem?: string;
}

/** One reply activity of an expectReplies answer (cards in attachments). */
export interface Reply {
  type?: string;
  text?: string;
  attachments?: { contentType?: string; content?: unknown }[];
}

/** HTTP client of the load generator: keep-alive connections, one POST /api/messages per turn. */
export class BotClient {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(baseUrl: string, maxSockets: number) {
    this.url = new URL('/api/messages', baseUrl);
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** Posts one activity and checks the expectReplies answer. Never throws. */
  async post(activity: Record<string, unknown>): Promise<TurnOutcome> {
    const { replies: _replies, ...outcome } = await this.postForReplies(activity);
    return outcome;
  }

  /** Like {@link post}, and hands back the replies (the journey scenario reads the cards). Never throws. */
  postForReplies(activity: Record<string, unknown>): Promise<TurnOutcome & { replies: Reply[] }> {
    return this.send(this.url, activity, {}, (status, body) => {
      if (status !== 200) return { ok: false, problem: `HTTP ${status}`, replies: [] };
      const replies = ((body as { activities?: Reply[] } | null)?.activities ?? []);
      if (replies.length === 0) return { ok: false, problem: 'no reply', replies };
      const failed = replies.find((r) => typeof r.text === 'string' && ERROR_PREFIXES.some((p) => r.text!.startsWith(p)));
      return failed ? { ok: false, problem: 'bot error message', replies } : { ok: true, replies };
    });
  }

  /** POSTs JSON to another route of the server (the pages API); `accept` decides what counts as success. */
  postJson(path: string, payload: unknown, headers: Record<string, string>, accept: (status: number, body: unknown) => boolean, from?: string): Promise<TurnOutcome> {
    return this.send(new URL(path, this.url), payload, headers, (status, body) => {
      if (accept(status, body)) return { ok: true };
      const code = typeof body === 'object' && body !== null && 'error' in body ? ` ${String((body).error)}` : '';
      return { ok: false, problem: `HTTP ${status}${code}` };
    }, 'POST', from);
  }

  /** GETs JSON from another route of the server (the dialog page's reads); `accept` decides what counts as success. */
  getJson(path: string, headers: Record<string, string>, accept: (status: number, body: unknown) => boolean, from?: string): Promise<TurnOutcome> {
    return this.send(new URL(path, this.url), undefined, headers, (status, body) => (accept(status, body) ? { ok: true } : { ok: false, problem: `HTTP ${status}` }), 'GET', from);
  }

  /** `from`: the loopback source address of the connection (a browser's own address; see journey.ts pageAddress). */
  private send<T extends TurnOutcome>(url: URL, payload: unknown, headers: Record<string, string>, judge: (status: number, body: unknown) => T, method: 'POST' | 'GET' = 'POST', from?: string): Promise<T> {
    const body = method === 'GET' ? '' : JSON.stringify(payload);
    const fail = (problem: string): T => ({ ...judge(0, null), ok: false, problem });
    const sent = method === 'GET' ? headers : { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    return new Promise((resolve) => {
      const req = request(
        url,
        { method, agent: this.agent, headers: sent, timeout: 15_000, ...(from ? { localAddress: from } : {}) }, // Teams gives a bot 15 s to answer
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = null;
            try {
              parsed = text.trim() === '' ? null : (JSON.parse(text) as unknown);
            } catch {
              if (res.statusCode === 200) return resolve(fail('unreadable reply'));
            }
            resolve(judge(res.statusCode ?? 0, parsed));
          });
          res.on('error', () => resolve(fail('response error')));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve(fail(`request error: ${e.message}`)));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface LoadResult {
  turns: number;
  errors: number;
  /** Up to 5 distinct problems seen. */
  problems: string[];
  elapsedMs: number;
  turnsPerSecond: number;
  latencyMs: LatencySummary;
}

export type Progress = (done: number, total: number) => void;

export function result(latencies: number[], errors: number, problems: Set<string>, elapsedMs: number): LoadResult {
  return {
    turns: latencies.length,
    errors,
    problems: [...problems].slice(0, 5),
    elapsedMs: Math.round(elapsedMs),
    turnsPerSecond: Math.round((latencies.length / (elapsedMs / 1000)) * 10) / 10,
    latencyMs: summarize(latencies),
  };
}

/** Sends the greeting and `extraTurns` scripted turns of every conversation (concurrently per conversation). */
export async function warmUp(client: BotClient, convs: readonly BenchConversation[], extraTurns: number): Promise<number> {
  let errors = 0;
  await Promise.all(
    convs.map(async (c) => {
      if (!(await client.post(greeting(c))).ok) errors++;
      for (let i = 0; i < extraTurns; i++) if (!(await client.post(nextTurn(c))).ok) errors++;
    }),
  );
  return errors;
}

/**
 * Closed loop: every conversation posts its next turn as soon as the previous answer arrived. Stops after
 * `turnsPerConversation` each, or at `maxMs`. Gives throughput.
 */
export async function closedLoop(
  client: BotClient,
  convs: readonly BenchConversation[],
  turnsPerConversation: number,
  maxMs: number,
  progress?: Progress,
  /** Receives every latency sample too (to merge rounds). */
  sink?: number[],
): Promise<LoadResult> {
  const latencies: number[] = [];
  const problems = new Set<string>();
  let errors = 0;
  const total = convs.length * turnsPerConversation;
  const start = performance.now();
  const deadline = start + maxMs;
  const timer = setInterval(() => progress?.(latencies.length, total), 500);
  await Promise.all(
    convs.map(async (c) => {
      for (let i = 0; i < turnsPerConversation && performance.now() < deadline; i++) {
        const t0 = performance.now();
        const out = await client.post(nextTurn(c));
        latencies.push(performance.now() - t0);
        if (!out.ok) {
          errors++;
          problems.add(out.problem ?? 'unknown');
        }
      }
    }),
  );
  const elapsed = performance.now() - start;
  clearInterval(timer);
  progress?.(latencies.length, total);
  sink?.push(...latencies);
  return result(latencies, errors, problems, elapsed);
}

/**
 * Open loop: turns are sent on a fixed schedule (`rate` per second for `durationMs`) whether or not earlier ones were
 * answered, round-robin over the conversations. Latency counts from the SCHEDULED send time, so a stall in the server
 * (or in this generator) shows up in the percentiles instead of silently lowering the offered load (coordinated
 * omission).
 */
export async function openLoop(
  client: BotClient,
  convs: readonly BenchConversation[],
  rate: number,
  durationMs: number,
  progress?: Progress,
  /** Receives every latency sample too (to merge slices). */
  sink?: number[],
): Promise<LoadResult & { offeredPerSecond: number; maxDispatchLagMs: number }> {
  const total = Math.max(1, Math.round((rate * durationMs) / 1000));
  const interval = 1000 / rate;
  const latencies: number[] = [];
  const problems = new Set<string>();
  let errors = 0;
  let maxLag = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now() + 20;
  const timer = setInterval(() => progress?.(latencies.length, total), 500);
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    while (sent < total && start + sent * interval <= now) {
      const scheduled = start + sent * interval;
      maxLag = Math.max(maxLag, now - scheduled);
      const conv = convs[sent % convs.length]!;
      sent++;
      inFlight.push(
        client.post(nextTurn(conv)).then((out) => {
          latencies.push(performance.now() - scheduled);
          if (!out.ok) {
            errors++;
            problems.add(out.problem ?? 'unknown');
          }
        }),
      );
    }
    const wait = start + sent * interval - performance.now();
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(wait, 5))));
  }
  await Promise.all(inFlight);
  const elapsed = performance.now() - start;
  clearInterval(timer);
  progress?.(latencies.length, total);
  sink?.push(...latencies);
  return {
    ...result(latencies, errors, problems, elapsed),
    offeredPerSecond: rate,
    maxDispatchLagMs: Math.round(maxLag * 100) / 100,
  };
}
