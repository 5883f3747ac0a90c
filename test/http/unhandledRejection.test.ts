import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../support/redisServer';

/**
 * Issue 16: the process-level net. The real entry point (bot/index.ts) runs in a child process; a preloaded module
 * leaves one promise rejection unhandled once the entry point is up. Without the net Node's default mode kills the process;
 * with it the rejection is logged with an incident id, counted in /metrics, and the bot keeps answering.
 */
const root = join(__dirname, '..', '..');
let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

test('R22: an unhandled rejection is logged with an incident id, counted, and the process keeps serving', async () => {
  const port = await freePort();
  // Rejects once, as soon as the entry point has installed its handlers (without the net: after 75 s; the entry point compiled by tsx took 32 s to start at load 27).
  const probe =
    "data:text/javascript,const started = Date.now(); const t = setInterval(() => { if (process.listenerCount('unhandledRejection') > 0 || Date.now() - started > 75000) { clearInterval(t); Promise.reject(new Error(['probe', 'secret', 'detail'].join('-'))); } }, 50);";
  child = spawn(process.execPath, ['--import', 'tsx', '--import', probe, 'bot/index.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', SSPR_MODE: 'development', LOG_LEVEL: 'info', REDIS_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const deadline = Date.now() + 100_000;
  while (!out.includes('unhandled promise rejection') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(child.exitCode).toBeNull();
  const line = out.split('\n').find((l) => l.includes('unhandled promise rejection'));
  expect(line).toBeDefined();
  expect(JSON.parse(line!).incident).toMatch(/^[0-9a-f]{8}$/);
  // The message (foreign data) is not logged; the stack's frames are.
  expect(out).not.toContain('probe-secret-detail');
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  expect(metrics).toMatch(/^sspr_unhandled_rejections_total 1$/m);
}, 120_000);
