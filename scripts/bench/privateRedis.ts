import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A throw-away redis-server for one bench run: loopback only, a free port (never 6379), no persistence, its own
 * temp directory. `stop()` shuts it down and removes the directory.
 */
export class PrivateRedis {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    readonly pid: number,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateRedis> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sspr-bench-redis-'));
    const pidfile = join(dir, 'redis.pid');
    execFileSync(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
        '--daemonize', 'yes', '--pidfile', pidfile, '--logfile', join(dir, 'redis.log')],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 5000;
    for (;;) {
      const c = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await c.connect();
        await c.ping();
        c.disconnect();
        break;
      } catch {
        c.disconnect();
        if (Date.now() > deadline) throw new Error(`bench redis-server on port ${port} did not start (see ${dir}/redis.log)`);
        await sleep(10);
      }
    }
    for (let i = 0; i < 100 && !existsSync(pidfile); i++) await sleep(10);
    return new PrivateRedis(port, dir, Number(readFileSync(pidfile, 'utf8').trim()));
  }

  /** A plain client for the bench's own probes (INFO, MEMORY USAGE, MONITOR). */
  client(): Redis {
    return new Redis(this.port, '127.0.0.1', { maxRetriesPerRequest: 1, protocol: 2 });
  }

  async stop(): Promise<void> {
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    for (let i = 0; i < 300; i++) {
      try {
        process.kill(this.pid, 0);
        await sleep(10);
      } catch {
        break;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
