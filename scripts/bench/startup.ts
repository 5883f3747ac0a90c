import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BotClient, benchActivity, greeting, type BenchConversation } from './loadGenerator';
import { freePort } from './privateRedis';

export interface StartupSample {
  /** Process spawn → GET /readyz answers 200 (Redis connected, directory loaded), ms. */
  startToReadyMs: number;
  /** CPU time (user + system, all threads) the process had used when it became ready, ms: what start-up costs,
   *  much less sensitive than the wall clock to other load on the machine. */
  cpuToReadyMs: number;
  /** Time the main thread spent runnable but waiting for a CPU until ready (`/proc/<pid>/schedstat`, field 2), ms:
   *  on a busy machine most of the wall clock; start to ready minus this is what the start itself took. */
  runQueueWaitMs: number;
  /** The V8 code cache of the loader (scripts/serverLoader.js): 'used', 'none' (this start writes it), 'rejected'. */
  codeCache: string;
  /** The app's own start-up marks (bot/startupPhases.ts, from its "listening" log line): ms since the process
   *  started and CPU ms by then, per phase (modules loaded, config, Redis connected, services, composed, app,
   *  listening, campaigns started). */
  phases: Array<{ phase: string; ms: number; cpuMs: number }>;
  /** RSS of the idle process 3 s after it became ready (no traffic), bytes. */
  idleRssBytes: number;
  /** After the RSS reading: a greeting and the security-info menu submit (a ComponentDialog, the user's methods in
   *  Redis) — the built server answers a turn, not only /readyz. ms = both turns, the first ones of the process. */
  firstTurns: { ok: boolean; problem?: string; ms: number };
}

export interface StartupResult extends StartupSample {
  /** What ran: the command of `npm start` (package.json), or the same bundle built from the sources when stale. */
  entry: string;
  /** The first start after the build, without the code cache (it writes the cache). */
  first: StartupSample;
  /** Every run, the first one included. The result is the median by start-to-ready of the runs after the first
   *  (every start of a deployment but its first), or the first when there is only one. */
  samples: StartupSample[];
}

const ROOT = resolve(__dirname, '..', '..');
const SOURCE_DIRS = ['bot', 'dialogs', 'cards', 'domain', 'adapters', 'locales', 'config'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const CLOCK_TICKS = 100; // USER_HZ of /proc/<pid>/stat on Linux

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** `npm start`'s command from package.json: `node [flags] <file>` → the flags and the file. */
function npmStartCommand(): { flags: string[]; file: string } {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const words = (pkg.scripts.start ?? '').trim().split(/\s+/);
  if (words[0] !== 'node' || words.length < 2) throw new Error(`npm start is not "node [flags] <file>": ${pkg.scripts.start ?? ''}`);
  return { flags: words.slice(1, -1), file: words[words.length - 1] as string };
}

/**
 * What `npm start` runs when the build output is current (newer than every source); otherwise the same server
 * bundle (scripts/buildServer.js) built from bot/index.ts into bench-results/startup/ — two levels below the
 * repository like dist/bundle/, so paths relative to the module (data/) resolve the same way — never the tsx
 * loader, whose on-the-fly compilation is not what production runs.
 */
async function entryPoint(): Promise<{ flags: string[]; file: string; label: string }> {
  const { flags, file } = npmStartCommand();
  const built = join(ROOT, file);
  const sources = Math.max(...SOURCE_DIRS.map((d) => newestMtime(join(ROOT, d))));
  const label = `node ${[...flags, file].join(' ')}`;
  if (existsSync(built) && statSync(built).mtimeMs > sources) return { flags, file: built, label: `${label} (npm start, build current)` };
  const outFile = join(ROOT, 'bench-results', 'startup', 'server.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildServer } = require('../buildServer.js') as { buildServer: (o: { entry: string; outFile: string }) => Promise<unknown> };
  await buildServer({ entry: join(ROOT, 'bot', 'index.ts'), outFile });
  return { flags, file: outFile, label: `${label} — its bundle built from the sources (the build is missing or older than them)` };
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

function runQueueWaitMsOf(pid: number): number {
  // /proc/<pid>/schedstat (main thread): time on a CPU, time waiting on a run queue, time slices — nanoseconds.
  const f = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/);
  return Math.round(Number(f[1]) / 1e6);
}

function cpuMsOf(pid: number): number {
  // /proc/<pid>/stat: "pid (comm) state …"; utime and stime are fields 14 and 15 (11 and 12 after the comm).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

async function startOnce(entry: { flags: string[]; file: string }, redisUrl: string): Promise<StartupSample> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', SSPR_MODE: 'development', REDIS_URL: redisUrl, LOG_LEVEL: 'info' };
  let output = '';
  const t0 = performance.now();
  const child = spawn(process.execPath, [...entry.flags, entry.file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let phases: StartupSample['phases'] = [];
  let codeCache = 'no loader';
  let pending = '';
  child.stdout.on('data', (d: Buffer) => {
    const text = d.toString('utf8');
    output = (output + text).slice(-2000);
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('"startup"')) continue;
      try {
        const j = JSON.parse(line) as { startup?: StartupSample['phases']; codeCache?: string };
        if (j.startup) phases = j.startup;
        if (j.codeCache) codeCache = j.codeCache;
      } catch {
        /* not a log line */
      }
    }
  });
  child.stderr.on('data', (d: Buffer) => (output = (output + d.toString('utf8')).slice(-2000)));
  try {
    let ready = false;
    while (!ready) {
      if (child.exitCode !== null) throw new Error(`app exited with ${child.exitCode} before ready:\n${output}`);
      if (performance.now() - t0 > 60_000) throw new Error(`app not ready within 60 s:\n${output}`);
      ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
      if (!ready) await sleep(10);
    }
    const startToReadyMs = Math.round(performance.now() - t0);
    const cpuToReadyMs = Math.round(cpuMsOf(child.pid!));
    const runQueueWaitMs = runQueueWaitMsOf(child.pid!);
    await sleep(3000);
    const idleRssBytes = rssOf(child.pid!);
    const client = new BotClient(`http://127.0.0.1:${port}`, 1);
    // Not a be4c0000-… id: the Redis memory figures group the bench users' keys by that prefix.
    const objectId = 'be4c5ea7-0000-4000-8000-000000000001';
    const user: BenchConversation = { objectId, conversationId: `a:bench-startup-${objectId}`, locale: 'en-US', next: 0 };
    const t1 = performance.now();
    const first = await client.post(greeting(user));
    const second = first.ok ? await client.post(benchActivity(user, { value: { verb: 'menu', choice: 'securityInfo' } })) : first;
    client.close();
    const firstTurns = { ok: second.ok, ...(second.problem ? { problem: second.problem } : {}), ms: Math.round(performance.now() - t1) };
    return { startToReadyMs, cpuToReadyMs, runQueueWaitMs, codeCache, phases, idleRssBytes, firstTurns };
  } finally {
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Starts the app as `npm start` would (development mode, its own Redis) `runs` times one after another: spawn →
 * ready, CPU used by then, run-queue wait, the app's phases, idle RSS. The first start runs without the loader's code
 * cache (removed before it, as after a build; it writes a new one); the result is the median of the others by
 * start-to-ready (one run on a shared machine is mostly noise), or the first when `runs` is 1.
 */
export async function measureStartup(redisUrl: string, runs = 4): Promise<StartupResult> {
  const entry = await entryPoint();
  rmSync(join(dirname(entry.file), 'app.js.v8cache'), { force: true });
  const samples: StartupSample[] = [];
  for (let i = 0; i < Math.max(1, runs); i++) samples.push(await startOnce(entry, redisUrl));
  const first = samples[0] as StartupSample;
  const warm = samples.length > 1 ? samples.slice(1) : samples;
  const median = [...warm].sort((a, b) => a.startToReadyMs - b.startToReadyMs)[Math.floor((warm.length - 1) / 2)] as StartupSample;
  return { entry: entry.label, ...median, first, samples };
}
