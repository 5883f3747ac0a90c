import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * The start-up both processes share (bot/processLifecycle.ts): a configuration that does not parse stops the process
 * before anything starts, exit code 2, the reason on stderr and nothing else there; the campaign worker without
 * Redis likewise. (The SIGTERM path of both is in test/http/shutdown.test.ts and test/campaigns/workerProcess.test.ts.)
 */
const root = join(__dirname, '..', '..');

async function run(entry: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { code, stderr };
}

describe('process start: a configuration error fails fast with exit code 2', () => {
  test.each(['bot/index.ts', 'bot/worker/main.ts'])('start-up (npm start; issue 13 item 1 worker): %s with SSPR_MODE=staging exits 2 and names the variable on stderr', async (entry) => {
    const { code, stderr } = await run(entry, { SSPR_MODE: 'staging', REDIS_URL: 'redis://127.0.0.1:9' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^Configuration refused:\n {2}- SSPR_MODE: /);
    expect(stderr).not.toContain('fatal:');
  }, 120_000);

  test('issue 13 item 1: the campaign worker without REDIS_URL exits 2 and says it needs Redis', async () => {
    const { code, stderr } = await run('bot/worker/main.ts', { SSPR_MODE: 'development' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^REDIS_URL: the campaign worker needs Redis/);
  }, 120_000);
});
