import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConnectorStub } from './connectorStub';
import { DEMO_TENANT, post, replyText, teamsActivity, type Reply } from './activities';
import { findAll } from './chatDriver';
import { freePort, sleep } from './redisServer';

/**
 * The end-to-end harness of the tests that run the app as a separate process, the way `npm start` runs it, and talk
 * to it over HTTP only: the server process with a clean environment, a local Bot Connector stub for its proactive
 * messages, a user's 1:1 chat over HTTP activities, and the dev channel's outbox and enrolment page.
 */

const ROOT = join(__dirname, '..', '..');
const SOURCE_DIRS = ['bot', 'dialogs', 'cards', 'domain', 'adapters', 'locales', 'config', 'web'];

/**
 * What `npm start` runs after its build (package.json "start": `node <flags> dist/bundle/server.js`), read from
 * package.json so the test runs the same file with the same flags.
 */
function npmStartCommand(): { flags: string[]; entry: string } {
  const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const [node, ...args] = start.trim().split(/\s+/);
  const entry = args.pop();
  if (node !== 'node' || !entry || args.some((a) => !a.startsWith('-'))) throw new Error(`npm start is not "node [flags] <file>": ${start}`);
  return { flags: args, entry };
}
const NPM_START = npmStartCommand();
const DIST_ENTRY = join(ROOT, NPM_START.entry);
const TSX_ENTRY = [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bot/index.ts'];

/** Newest modification time of any file under `dir` (0 when absent). */
function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** The build's entry point when it is newer than every source file, else the same entry point from source (tsx). */
function entryPoint(prefer: 'build' | 'source'): { args: string[]; label: string } {
  if (prefer === 'build') {
    const sources = Math.max(...SOURCE_DIRS.map((d) => newestMtime(join(ROOT, d))));
    if (existsSync(DIST_ENTRY) && statSync(DIST_ENTRY).mtimeMs > sources) {
      return { args: [...NPM_START.flags, DIST_ENTRY], label: `${NPM_START.entry}, what npm start runs (built, newer than every source file)` };
    }
  }
  return { args: TSX_ENTRY, label: 'bot/index.ts with tsx (dist is missing or older than the sources, or the source was asked for)' };
}

export interface ChatUser {
  readonly objectId: string;
  readonly name: string;
  readonly userPrincipalName: string;
}

export interface NpmStartOptions {
  /**
   * The process's configuration beyond PATH, HOME, PORT and HOST (none of the parent's leaks in); called in the
   * suite's beforeAll, so it may start what the configuration points at.
   */
  readonly env?: () => NodeJS.ProcessEnv | Promise<NodeJS.ProcessEnv>;
  /** 'build': the build when current, else the source; 'source': always the source with tsx. */
  readonly prefer: 'build' | 'source';
  /** How long the server may take to answer /healthz. */
  readonly healthyWithinMs: number;
  /** beforeAll's own time-out (the start and whatever `env` starts). */
  readonly startTimeoutMs: number;
  /** The Teams members the connector stub knows (the bot reads them for the user's name and UPN). */
  readonly members?: readonly ChatUser[];
}

export interface NpmStartApp {
  readonly baseUrl: string;
  readonly connector: ConnectorStub;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
}

/** Starts the app process before the file's tests and stops it (SIGTERM, SIGKILL after 15 s) after them. */
export function npmStartSuite(o: NpmStartOptions): NpmStartApp {
  let child: ChildProcess | undefined;
  let output = '';
  let baseUrl = '';
  let connector: ConnectorStub | undefined;

  beforeAll(async () => {
    const env = (await o.env?.()) ?? {};
    connector = new ConnectorStub();
    await connector.start();
    for (const u of o.members ?? []) {
      connector.members.set(`29:${u.objectId}`, { id: `29:${u.objectId}`, name: u.name, aadObjectId: u.objectId, userPrincipalName: u.userPrincipalName, userRole: 'user' });
    }
    const port = await freePort();
    const entry = entryPoint(o.prefer);
    console.log(`npm start e2e: running ${entry.label}`);
    const started = spawn(process.execPath, entry.args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    started.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    started.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    baseUrl = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + o.healthyWithinMs;
    while (Date.now() < deadline && started.exitCode === null) {
      if (await fetch(`${baseUrl}/healthz`).then((r) => r.ok, () => false)) return;
      await sleep(200);
    }
    throw new Error(`server did not become healthy (exit code ${String(started.exitCode)}):\n${output.slice(-2000)}`);
  }, o.startTimeoutMs);

  afterAll(async () => {
    const c = child;
    if (c && c.exitCode === null && c.signalCode === null) {
      let timer: NodeJS.Timeout | undefined;
      const exited = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGTERM');
      await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, 15_000)))]);
      clearTimeout(timer);
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
    await connector?.stop();
  });

  return {
    get baseUrl() {
      return baseUrl;
    },
    get connector() {
      if (!connector) throw new Error('npmStartSuite: the connector starts in beforeAll');
      return connector;
    },
    output: () => output,
  };
}

/** One user's 1:1 chat with the app process, over HTTP activities (expectReplies) only. */
export class HttpChat {
  last: Reply[] = [];

  constructor(
    private readonly app: NpmStartApp,
    private readonly user: { readonly objectId: string; readonly name: string },
  ) {}

  async send(input: { text?: string; value?: Record<string, unknown> }): Promise<string> {
    const activity = teamsActivity({ userObjectId: this.user.objectId, userName: this.user.name, serviceUrl: this.app.connector.url, locale: 'en-US', ...input });
    const res = await post(this.app.baseUrl, activity);
    expect(res.status).toBe(200);
    this.last = res.replies;
    return replyText(res.replies);
  }

  /** The data of the last Action.Submit with this verb (and matching `pred`) in the last replies. */
  action(verb: string, pred: (d: Record<string, unknown>) => boolean = () => true): Record<string, unknown> {
    const found = this.submits(verb)
      .map((n) => n.data as Record<string, unknown>)
      .filter(pred);
    if (found.length === 0) throw new Error(`no ${verb} action in the replies: ${replyText(this.last)}`);
    return found[found.length - 1]!;
  }

  /** The Action.Submit nodes (title, data) with this verb in the last replies. */
  submits(verb: string): Record<string, unknown>[] {
    return findAll(this.last, (n) => n.type === 'Action.Submit' && isObject(n.data) && n.data.verb === verb);
  }

  /** Submit the card action `verb` with extra input fields. */
  submit(verb: string, fields: Record<string, unknown> = {}, pred?: (d: Record<string, unknown>) => boolean): Promise<string> {
    return this.send({ value: { ...this.action(verb, pred), ...fields } });
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

/** What the dialog page shows for a recovery-codes ticket (GET /api/enrolments/:ticket as the user, development). */
export async function dialogPageCodes(app: NpmStartApp, objectId: string, open: Record<string, unknown>): Promise<string[]> {
  const res = await fetch(`${app.baseUrl}/api/enrolments/${String(open.ticket)}`, { headers: { 'X-Dev-User': `${DEMO_TENANT}:${objectId}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { codes: string[] }).codes;
}

/** The newest code the dev outbox (GET /devchannel/outbox) shows for one of these destinations on this channel. */
export async function outboxCode(app: NpmStartApp, to: string | readonly string[], channel: string): Promise<string> {
  const dests: readonly string[] = typeof to === 'string' ? [to] : to;
  const res = await fetch(`${app.baseUrl}/devchannel/outbox`);
  expect(res.status).toBe(200);
  const { items } = (await res.json()) as { items: { channel: string; to: string; text: string }[] };
  // The outbox shows the words the real sender would use (issue 11): the code is the one 6-digit group in them.
  const codeIn = (text: string): string | undefined => (channel === 'voice' ? text.replace(/, /g, '') : text).match(/\b(\d{6})\b/)?.[1];
  const mine = items.filter((i) => dests.includes(i.to) && i.channel === channel && codeIn(i.text) !== undefined);
  if (mine.length === 0) throw new Error(`no ${channel} code for ${dests.join('/')} in the outbox: ${JSON.stringify(items.map((i) => [i.channel, i.to]))}`);
  return codeIn(mine[mine.length - 1]!.text)!;
}
