import { Agent, createServer, request, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '../../bot/config';
import { createApp, type App } from '../../bot/app';
import { createLogger } from '../../bot/logger';

/**
 * The project's own fuzzer (issue 16): seeded and replayable, loopback only, bounded. It drives the real app in this
 * process through HTTP: valid journeys on /api/messages with mutated fields, raw bodies, every verb, invokes, the
 * pages API, the ITSM API and the development Direct Line routes. A case fails on a 5xx, a broken connection, a hang
 * over 10 s, an internal-error log line or reply, or an unhandled rejection; at the end a valid journey must still
 * work. The first failing case is replayed alone and shrunk (mutations dropped one by one) to a minimal case.
 */

// ---------- seeded random ----------
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    // mulberry32
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Seed of case i of a run: every case can be regenerated alone (replay). */
const caseSeed = (seed: number, i: number): number => (Math.imul(seed ^ 0x9e3779b9, 2654435761) + Math.imul(i + 1, 40503)) >>> 0;

// ---------- cases ----------
export interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Buffer;
}
export interface FuzzCase {
  readonly index: number;
  readonly kind: string;
  readonly mutations: readonly string[];
  readonly request: FuzzRequest;
}

const TENANT = '00000000-0000-0000-0000-000000000001';
const USERS = Array.from({ length: 12 }, (_, i) => `eeeeeeee-0000-4000-8000-${String(i + 1).padStart(12, '0')}`);
const TEXTS = ['hi', 'help', 'I forgot my password', 'unlock my account', 'my methods', 'cancel', 'menu', 'talk to the helpdesk', 'hallo', 'wachtwoord vergeten', '', ' '];
const VALUES: unknown[] = [
  { verb: 'menu', choice: 'reset' },
  { verb: 'menu', choice: 'unlock' },
  { verb: 'menu', choice: 'securityInfo' },
  { verb: 'menu', choice: 'help' },
  { verb: 'cancel' },
  { verb: 'chooseMethod', methodId: 'm1' },
  { verb: 'submitCode', code: '123456' },
  { verb: 'dropTables' },
];
const INVOKES = ['task/fetch', 'task/submit', 'adaptiveCard/action', 'fileConsent/invoke', 'composeExtension/query', 'signin/verifyState', 'config/fetch', 'foo/bar'];
const TYPES = ['message', 'conversationUpdate', 'invoke', 'messageReaction', 'event', 'typing', 'installationUpdate', 'messageDelete', 'messageUpdate', 'endOfConversation', 'weird'];

/** Values that broke things before: wrong types, huge, deep, lone surrogates, control characters, prototype keys. */
function nasty(r: Rng, depth = 0): unknown {
  switch (r.int(16)) {
    case 0:
      return null;
    case 1:
      return r.int(2) === 0 ? r.int(1e9) : -1.5e308;
    case 2:
      return r.chance(0.5);
    case 3:
      return 'x'.repeat(r.pick([0, 1, 300, 5000, 70_000]));
    case 4:
      return `a\ud800b${r.pick(['\udc00', '', '\u0000', '\u202e'])}`;
    case 5:
      return [];
    case 6:
      return depth < 3 ? [nasty(r, depth + 1), nasty(r, depth + 1)] : [1];
    case 7:
      return {};
    case 8: {
      let v: unknown = 'leaf';
      const n = r.pick([5, 12, 40, 63]);
      for (let i = 0; i < n; i++) v = r.chance(0.5) ? { a: v } : [v];
      return v;
    }
    case 9:
      return { __proto__: { polluted: true }, constructor: { prototype: { x: 1 } } };
    case 10:
      return 'http://10.0.0.1/';
    case 11:
      return 'ftp://127.0.0.1/';
    case 12:
      return '<at>bot</at> I forgot my password';
    case 13:
      return '../../etc/passwd';
    case 14:
      return '\r\nSet-Cookie: x=1';
    default:
      return depth < 2 ? { verb: r.pick(['menu', 'cancel', 'x']), choice: nasty(r, depth + 1) } : 'z';
  }
}

const FIELDS = [
  'type', 'id', 'text', 'value', 'locale', 'channelId', 'serviceUrl', 'from', 'from.id', 'from.name', 'from.role', 'from.aadObjectId',
  'recipient', 'recipient.id', 'conversation', 'conversation.id', 'conversation.conversationType', 'conversation.tenantId',
  'channelData', 'channelData.tenant', 'channelData.tenant.id', 'channelData.eventType', 'membersAdded', 'membersRemoved',
  'entities', 'attachments', 'name', 'replyToId', 'deliveryMode', 'timestamp', 'localTimezone', 'textFormat',
];

function setPath(o: Record<string, any>, path: string, v: unknown, remove: boolean): void {
  const parts = path.split('.');
  let cur: any = o;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p];
  }
  const last = parts.at(-1)!;
  if (remove) delete cur[last];
  else cur[last] = v;
}

function validActivity(r: Rng, serviceUrl: string): Record<string, any> {
  const user = r.pick(USERS);
  const type = r.chance(0.8) ? 'message' : r.chance(0.5) ? 'conversationUpdate' : 'invoke';
  const a: Record<string, any> = {
    type,
    id: `f-${r.int(1e12).toString(36)}`,
    timestamp: new Date(1_780_000_000_000).toISOString(),
    channelId: 'msteams',
    serviceUrl,
    from: { id: `29:${user}`, name: 'Fuzz User', aadObjectId: user },
    recipient: { id: '28:bot-id', name: 'Password Reset Assistant' },
    conversation: { id: `a:${user}`, conversationType: r.chance(0.9) ? 'personal' : 'groupChat', tenantId: TENANT },
    channelData: { tenant: { id: TENANT } },
    locale: r.pick(['en-US', 'nl-NL']),
    deliveryMode: 'expectReplies',
  };
  if (type === 'message') {
    if (r.chance(0.7)) a.text = r.pick(TEXTS);
    else a.value = r.pick(VALUES);
  } else if (type === 'conversationUpdate') a.membersAdded = [{ id: '28:bot-id' }];
  else {
    delete a.deliveryMode;
    a.name = r.pick(INVOKES);
    a.value = r.chance(0.5) ? { data: { verb: r.pick(['openSecurityInfo', 'openPasswordDialog', 'passwordDialogDone']) } } : nasty(r);
  }
  return a;
}

const json = (body: string): Record<string, string> => ({ 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });

function messageCase(r: Rng, serviceUrl: string, mutationCount?: number): { mutations: string[]; request: FuzzRequest } {
  const a = validActivity(r, serviceUrl);
  const mutations: string[] = [];
  const n = mutationCount ?? r.pick([0, 0, 1, 1, 1, 2, 3]);
  for (let i = 0; i < n; i++) {
    const field = r.pick(FIELDS);
    const remove = r.chance(0.25);
    const v = remove ? undefined : field === 'type' && r.chance(0.6) ? r.pick(TYPES) : nasty(r);
    setPath(a, field, v, remove);
    mutations.push(`${remove ? 'delete' : 'set'} ${field}`);
  }
  const body = JSON.stringify(a);
  return { mutations, request: { method: 'POST', path: '/api/messages', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }, body } };
}

function rawCase(r: Rng): FuzzRequest {
  const path = r.pick(['/api/messages', '/api/password/check', '/api/helpdesk/handoffs', '/v3/directline/tokens/generate', '/api/methods']);
  switch (r.int(8)) {
    case 0:
      return { method: 'POST', path, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': '2' }, body: Buffer.from([0x1f, 0x8b]) };
    case 1: {
      const body = gzipSync(Buffer.from(`{"a":"${'a'.repeat(1_000_000)}"}`));
      return { method: 'POST', path, headers: { 'content-type': 'application/json', 'content-encoding': r.pick(['gzip', 'deflate', 'br', 'GZIP']), 'content-length': String(body.length) }, body };
    }
    case 2: {
      const body = Buffer.from(Array.from({ length: r.int(400) }, () => r.int(256)));
      return { method: 'POST', path, headers: { 'content-type': r.pick(['application/json', 'text/plain', 'application/octet-stream']), 'content-length': String(body.length) }, body };
    }
    case 3: {
      const body = `{"type":"message","text":"${'y'.repeat(r.int(50))}`;
      return { method: 'POST', path, headers: json(body), body };
    }
    case 4: {
      const body = '['.repeat(r.pick([65, 500, 5000])) + ']'.repeat(r.pick([0, 65, 5000]));
      return { method: 'POST', path, headers: { 'content-type': 'application/json', 'content-length': String(body.length) }, body };
    }
    case 5:
      return { method: 'POST', path, headers: { 'content-type': 'application/json', 'content-length': '999999999' }, body: '{}' };
    case 6: {
      const body = JSON.stringify(nasty(r));
      return { method: 'POST', path, headers: { 'content-type': 'application/json; charset=' + r.pick(['utf-8', 'latin1', 'utf-16']), 'content-length': String(Buffer.byteLength(body)) }, body };
    }
    default: {
      const body = JSON.stringify({ pad: 'p'.repeat(300 * 1024) });
      return { method: 'POST', path, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }, body };
    }
  }
}

const PAGE_ROUTES = ['/api/pages/config', '/api/password/check', '/api/flows/:id/password', '/api/enrolments/:id', '/api/enrolments/:id/confirm', '/api/methods', '/api/methods/:id', '/api/methods/:id/reconfirm', '/api/methods/:id/reconfirm/check', '/api/stepup', '/api/stepup/:id', '/api/stepup/:id/check'];
const ID_VALUES = ['0123456789abcdef0123456789abcdef', 'x', '%00', '..%2F..', 'a'.repeat(300), '%F0%9F%98%80', 'email', 'mobile'];

function pagesCase(r: Rng): FuzzRequest {
  const path = r.pick(PAGE_ROUTES).replace(':id', r.pick(ID_VALUES)) + (r.chance(0.2) ? `?locale=${r.pick(['nl', 'xx', '%ZZ'])}` : '');
  const method = r.pick(['GET', 'POST', 'POST', 'DELETE', 'PUT', 'PATCH']);
  const headers: Record<string, string> = {};
  if (r.chance(0.7)) headers['x-dev-user'] = r.chance(0.8) ? `${TENANT}:${r.pick(USERS)}` : String(nasty(r)).slice(0, 200).replace(/[^\x20-\x7e]/g, '?');
  if (r.chance(0.2)) headers.authorization = r.pick(['Bearer x', 'Bearer eyJhbGciOiJub25lIn0.e30.', 'Basic Og==']);
  if (method === 'GET' || method === 'DELETE') return { method, path, headers };
  const body = JSON.stringify(r.chance(0.5) ? { password: nasty(r), code: nasty(r), kind: r.pick(['email', 'mobile', 'x']), destination: nasty(r) } : nasty(r));
  return { method, path, headers: { ...headers, ...json(body) }, body };
}

function itsmCase(r: Rng): FuzzRequest {
  const headers: Record<string, string> = {};
  if (r.chance(0.8)) headers.authorization = r.pick(['ApiKey x', 'ApiKey kid.secret', 'Bearer y', `ApiKey ${'k'.repeat(400)}`, 'ApiKey a.b.c']);
  if (r.chance(0.5)) headers['idempotency-key'] = r.pick(['idem-key-000001', 'short', 'k'.repeat(200)]);
  if (r.chance(0.3)) return { method: 'GET', path: `/api/helpdesk/handoffs/${r.pick(ID_VALUES)}`, headers };
  const body = JSON.stringify(r.chance(0.5) ? { user: nasty(r), purpose: r.pick(['reset', 'unlock', 'register', 'x']), agent: 'agent@contoso.example', ticket: nasty(r) } : nasty(r));
  return { method: r.pick(['POST', 'POST', 'PUT']), path: '/api/helpdesk/handoffs', headers: { ...headers, ...json(body) }, body };
}

function verbCase(r: Rng): FuzzRequest {
  const path = r.pick(['/', '/api/messages', '/healthz', '/readyz', '/metrics', '/app/password/', '/app/../../etc/passwd', '/devchat/', '/devchannel/config', '/devchannel/outbox', '/v3/conversations/x/activities', '/api/x', `/${'a'.repeat(3000)}`, '/%E0%A4%A']);
  return { method: r.pick(['GET', 'HEAD', 'OPTIONS', 'DELETE', 'PUT', 'PATCH', 'POST', 'TRACE']), path, headers: {} };
}

/** Direct Line needs state (token, conversation): the case names the step; the runner fills in the live ids. */
function directLineCase(r: Rng): FuzzRequest {
  const step = r.pick(['generate', 'start', 'post', 'post', 'post', 'get', 'refresh']);
  const auth = r.chance(0.9) ? '{{token}}' : 'Bearer nope';
  switch (step) {
    case 'generate': {
      const body = JSON.stringify(r.chance(0.5) ? {} : { user: { id: r.chance(0.5) ? USERS[0] : nasty(r) }, locale: nasty(r) });
      return { method: 'POST', path: '/v3/directline/tokens/generate', headers: json(body), body };
    }
    case 'start':
      return { method: 'POST', path: '/v3/directline/conversations', headers: { authorization: auth } };
    case 'refresh':
      return { method: 'POST', path: '/v3/directline/tokens/refresh', headers: { authorization: auth } };
    case 'get':
      return { method: 'GET', path: `/v3/directline/conversations/{{conversation}}/activities?watermark=${r.pick(['0', '3', '-1', 'x', '99999999999999999999'])}`, headers: { authorization: auth } };
    default: {
      const a: Record<string, unknown> = { type: r.pick(['message', 'message', 'invoke', 'event', 'typing', 'x']), text: r.pick(TEXTS), channelData: { clientActivityID: `c${r.int(1e6)}` } };
      if (r.chance(0.5)) a[r.pick(['value', 'channelData', 'text', 'locale', 'from', 'attachments', 'name'])] = nasty(r);
      const body = JSON.stringify(a);
      return { method: 'POST', path: '/v3/directline/conversations/{{conversation}}/activities', headers: { authorization: auth, ...json(body) }, body };
    }
  }
}

export function generateCase(seed: number, index: number, serviceUrl: string): FuzzCase {
  const r = new Rng(caseSeed(seed, index));
  const roll = r.int(100);
  if (roll < 50) {
    const m = messageCase(r, serviceUrl);
    return { index, kind: 'messages', ...m };
  }
  if (roll < 58) return { index, kind: 'raw', mutations: [], request: rawCase(r) };
  if (roll < 73) return { index, kind: 'pages', mutations: [], request: pagesCase(r) };
  if (roll < 83) return { index, kind: 'itsm', mutations: [], request: itsmCase(r) };
  if (roll < 95) return { index, kind: 'directline', mutations: [], request: directLineCase(r) };
  return { index, kind: 'verbs', mutations: [], request: verbCase(r) };
}

// ---------- running ----------
export interface FuzzResult {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
  readonly error?: string;
}

const HANG_MS = 10_000;

function send(agent: Agent, port: number, q: FuzzRequest): Promise<FuzzResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: q.method, path: q.path, headers: q.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size < 512 * 1024) chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started }));
      res.on('error', (e) => resolve({ status: res.statusCode ?? 0, body: '', ms: Date.now() - started, error: e.message }));
    });
    req.setTimeout(HANG_MS, () => req.destroy(new Error('hang')));
    req.on('error', (e) => resolve({ status: 0, body: '', ms: Date.now() - started, error: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end(q.body);
  });
}

/** Counts internal-error log lines without keeping the log (a fuzz run writes hundreds of thousands of lines). */
class LogCounter extends Writable {
  internal = 0;
  lines = 0;
  sample: string[] = [];
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    const text = chunk.toString('utf8');
    for (const line of text.split('\n')) {
      if (!line) continue;
      this.lines++;
      if (/"msg":"(turn failed|activity processing failed|pages api failed|helpdesk api failed|unhandled promise rejection[^"]*)"/.test(line) || /"level":"(error|fatal)"/.test(line)) {
        this.internal++;
        if (this.sample.length < 5) this.sample.push(line.slice(0, 2000));
      }
    }
    cb();
  }
}

export interface FuzzReport {
  readonly seed: number;
  readonly cases: number;
  readonly byKind: Record<string, number>;
  readonly statuses: Record<string, number>;
  readonly fiveXx: number;
  readonly internalErrors: number;
  readonly connectionErrors: number;
  readonly hangs: number;
  readonly unhandledRejections: number;
  readonly finalJourneyOk: boolean;
  readonly seconds: number;
  readonly memory: { readonly before: Mem; readonly after: Mem };
  readonly failure?: { readonly case: FuzzCase; readonly result: FuzzResult; readonly minimal?: FuzzCase; readonly file?: string; readonly logSample: readonly string[] };
}
interface Mem {
  readonly rssMb: number;
  readonly heapUsedMb: number;
}

const mem = (): Mem => {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rssMb: Math.round(m.rss / 1048576), heapUsedMb: Math.round(m.heapUsed / 1048576) };
};

export interface FuzzOptions {
  readonly seed: number;
  readonly cases: number;
  readonly concurrency?: number;
  /** Where the minimal reproducing case is written (default test-artifacts/). */
  readonly artifactsDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly onProgress?: (done: number, report: Pick<FuzzReport, 'fiveXx' | 'internalErrors'>) => void;
}

/** 503 is the documented "temporarily unavailable / page not built" answer (R22), not a crash: counted, not failed. */
const failed = (res: FuzzResult, q: FuzzRequest): boolean =>
  (res.status >= 500 && res.status !== 503) ||
  res.status === 0 ||
  res.ms >= HANG_MS ||
  // The generic error reply of a failed turn (elsewhere the catalogs themselves may contain these words).
  ((q.path === '/api/messages' || q.path.startsWith('/v3/directline/')) && /Something went wrong on my side|Er ging iets mis/.test(res.body));

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const logs = new LogCounter();
  const config = loadConfig({ LOG_LEVEL: 'warn', SSPR_MODE: 'development', ...opts.env });
  const app: App = await createApp(config, createLogger(config.logLevel, logs));
  const port = await app.listen(0, '127.0.0.1');
  // Replies of turns without expectReplies go to a local Bot Connector stand-in that accepts every send (a channel
  // that refuses replies is an infrastructure failure, not bad input: see docs/robustness.md).
  const connector = await startAcceptingConnector();
  const serviceUrl = `http://127.0.0.1:${connector.port}/`;
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency ?? 8 });
  let unhandled = 0;
  const onUnhandled = (): void => void unhandled++;
  process.on('unhandledRejection', onUnhandled);

  // Direct Line state shared by the Direct Line cases.
  const dl = { token: '', conversation: 'none' };
  const fill = (q: FuzzRequest): FuzzRequest => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(q.headers)) headers[k] = v === '{{token}}' ? `Bearer ${dl.token}` : v;
    return { ...q, path: q.path.replace('{{conversation}}', encodeURIComponent(dl.conversation)), headers };
  };
  const learn = (q: FuzzRequest, res: FuzzResult): void => {
    if (res.status >= 300 || !q.path.startsWith('/v3/directline/')) return;
    try {
      const b = JSON.parse(res.body) as { token?: string; conversationId?: string };
      if (typeof b.token === 'string' && b.token) dl.token = b.token;
      if (typeof b.conversationId === 'string') dl.conversation = b.conversationId;
    } catch {
      /* not JSON */
    }
  };

  const before = mem();
  const started = Date.now();
  const byKind: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  let fiveXx = 0;
  let connectionErrors = 0;
  let hangs = 0;
  let failure: FuzzReport['failure'];
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < opts.cases && !failure) {
      const c = generateCase(opts.seed, next++, serviceUrl);
      const q = fill(c.request);
      const internalBefore = logs.internal;
      let res = await send(agent, port, q);
      // A keep-alive socket the server closed as idle just as it was reused: the client's race, not the server's.
      if (res.status === 0 && res.error === 'ECONNRESET') res = await send(agent, port, q);
      learn(q, res);
      done++;
      byKind[c.kind] = (byKind[c.kind] ?? 0) + 1;
      statuses[String(res.status)] = (statuses[String(res.status)] ?? 0) + 1;
      if (res.status >= 500 && res.status !== 503) fiveXx++;
      if (res.status === 0) connectionErrors++;
      if (res.ms >= HANG_MS) hangs++;
      const bad = failed(res, q) || logs.internal > internalBefore || unhandled > 0;
      if (bad && !failure) failure = { case: { ...c, request: q }, result: { ...res, body: res.body.slice(0, 2000) }, logSample: logs.sample };
      if (opts.onProgress && done % 5000 === 0) opts.onProgress(done, { fiveXx, internalErrors: logs.internal });
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, () => worker()));

  // The final valid journey: a fresh user is welcomed and can start a reset; Direct Line still converses.
  const finalJourneyOk = await finalJourney(agent, port, serviceUrl);
  if (failure) {
    const minimal = await shrink(opts.seed, failure.case, agent, port, serviceUrl, logs);
    const dir = opts.artifactsDir ?? join(process.cwd(), 'test-artifacts');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `fuzz-failure-seed${opts.seed}-case${failure.case.index}.json`);
    const printable = (c: FuzzCase) => ({ ...c, request: { ...c.request, body: Buffer.isBuffer(c.request.body) ? { base64: c.request.body.toString('base64') } : c.request.body?.slice(0, 100_000) } });
    writeFileSync(file, JSON.stringify({ seed: opts.seed, replay: `npm run fuzz -- --seed ${opts.seed} --only ${failure.case.index}`, failing: printable(failure.case), result: failure.result, minimal: minimal ? printable(minimal) : null, logSample: failure.logSample }, null, 2));
    failure = { ...failure, ...(minimal ? { minimal } : {}), file };
  }
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  process.off('unhandledRejection', onUnhandled);
  agent.destroy();
  await app.close(2000);
  await new Promise<void>((r) => connector.server.close(() => r()));
  const after = mem();
  return {
    seed: opts.seed,
    cases: done,
    byKind,
    statuses,
    fiveXx,
    internalErrors: logs.internal,
    connectionErrors,
    hangs,
    unhandledRejections: unhandled,
    finalJourneyOk,
    seconds,
    memory: { before, after },
    ...(failure ? { failure } : {}),
  };
}

/** Answers like the Bot Connector: 200 with an id for sends and updates, 404 for roster look-ups (development trusts the activity). */
async function startAcceptingConnector(): Promise<{ server: Server; port: number }> {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const roster = req.method === 'GET' && /\/members\//.test(req.url ?? '');
      res.writeHead(roster ? 404 : 200, { 'content-type': 'application/json', connection: 'keep-alive' });
      res.end(roster ? '{"error":{"code":"MemberNotFoundInConversation"}}' : JSON.stringify({ id: `stub-${++n}` }));
    });
  });
  const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)));
  return { server, port };
}

async function finalJourney(agent: Agent, port: number, serviceUrl: string): Promise<boolean> {
  const user = 'ffffffff-0000-4000-8000-000000000001';
  const activity = (text: string) => ({
    type: 'message', id: `final-${text.length}-${Date.now()}`, channelId: 'msteams', serviceUrl, locale: 'en-US', deliveryMode: 'expectReplies', text,
    from: { id: `29:${user}`, name: 'Final User', aadObjectId: user }, recipient: { id: '28:bot-id' },
    conversation: { id: `a:${user}`, conversationType: 'personal', tenantId: TENANT }, channelData: { tenant: { id: TENANT } },
  });
  const post = async (text: string): Promise<string> => {
    const body = JSON.stringify(activity(text));
    const res = await send(agent, port, { method: 'POST', path: '/api/messages', headers: json(body), body });
    return res.status === 200 ? res.body : `HTTP ${res.status}`;
  };
  const welcome = await post('hi');
  if (!welcome.includes('Password Reset Assistant')) return false;
  const reset = await post('I forgot my password');
  if (reset.startsWith('HTTP') || /Something went wrong/.test(reset) || !reset.includes('"activities"')) return false;
  const gen = await send(agent, port, { method: 'POST', path: '/v3/directline/tokens/generate', headers: json('{}'), body: '{}' });
  if (gen.status !== 200) return false;
  const token = (JSON.parse(gen.body) as { token: string }).token;
  const conv = await send(agent, port, { method: 'POST', path: '/v3/directline/conversations', headers: { authorization: `Bearer ${token}` } });
  if (conv.status !== 201) return false;
  const id = (JSON.parse(conv.body) as { conversationId: string }).conversationId;
  const msg = JSON.stringify({ type: 'message', text: 'help' });
  const sent = await send(agent, port, { method: 'POST', path: `/v3/directline/conversations/${encodeURIComponent(id)}/activities`, headers: { authorization: `Bearer ${token}`, ...json(msg) }, body: msg });
  return sent.status === 200;
}

/** Replays the failing case alone; for /api/messages cases drops mutations one at a time while it still fails. */
async function shrink(seed: number, c: FuzzCase, agent: Agent, port: number, serviceUrl: string, logs: LogCounter): Promise<FuzzCase | undefined> {
  const fails = async (q: FuzzRequest): Promise<boolean> => {
    const before = logs.internal;
    const res = await send(agent, port, q);
    return failed(res, q) || logs.internal > before;
  };
  if (!(await fails(c.request))) return undefined;
  if (c.kind !== 'messages') return c;
  let best = c;
  for (let n = c.mutations.length - 1; n >= 0; n--) {
    const r = new Rng(caseSeed(seed, c.index));
    r.int(100);
    const m = messageCase(r, serviceUrl, n);
    const candidate: FuzzCase = { index: c.index, kind: c.kind, mutations: m.mutations, request: m.request };
    if (await fails(candidate.request)) best = candidate;
  }
  return best;
}
