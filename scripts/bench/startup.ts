import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { build } from 'esbuild';
import { freePort } from './privateRedis';

export interface StartupResult {
  /** What ran: the built dist/bot/index.js (npm start) or an esbuild bundle of bot/index.ts (dist missing or stale). */
  entry: string;
  /** Process spawn → GET /readyz answers 200 (Redis connected, directory loaded), ms. */
  startToReadyMs: number;
  /** RSS of the idle process 3 s after it became ready (no traffic), bytes. */
  idleRssBytes: number;
}

const ROOT = resolve(__dirname, '..', '..');
const SOURCE_DIRS = ['bot', 'dialogs', 'cards', 'domain', 'adapters', 'locales', 'config'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * The production entry point when `npm run build` output is current; otherwise bot/index.ts bundled with esbuild
 * (project code only, node_modules loaded from disk as in production) into bench-results/startup/ — two levels
 * below the repository like dist/bot/, so paths relative to the module (data/, web/) resolve the same way.
 */
async function entryPoint(): Promise<{ file: string; label: string }> {
  const dist = join(ROOT, 'dist', 'bot', 'index.js');
  const sources = Math.max(...SOURCE_DIRS.map((d) => newestMtime(join(ROOT, d))));
  if (existsSync(dist) && statSync(dist).mtimeMs > sources) return { file: dist, label: 'dist/bot/index.js (npm run build, current)' };
  const file = join(ROOT, 'bench-results', 'startup', 'index.js');
  await build({ entryPoints: [join(ROOT, 'bot', 'index.ts')], bundle: true, platform: 'node', target: 'node20', packages: 'external', outfile: file, logLevel: 'warning', sourcemap: false });
  return { file, label: 'esbuild bundle of bot/index.ts (dist missing or older than the sources)' };
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/** Starts the app as `npm start` would (development mode, its own Redis), times spawn → ready, reads idle RSS. */
export async function measureStartup(redisUrl: string): Promise<StartupResult> {
  const entry = await entryPoint();
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', SSPR_MODE: 'development', REDIS_URL: redisUrl, LOG_LEVEL: 'warn' };
  let output = '';
  const t0 = performance.now();
  const child = spawn(process.execPath, [entry.file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => (output = (output + d.toString('utf8')).slice(-2000)));
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
    await sleep(3000);
    return { entry: entry.label, startToReadyMs, idleRssBytes: rssOf(child.pid!) };
  } finally {
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
