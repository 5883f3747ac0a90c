import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
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

export interface RedisServerOptions {
  appendonly?: boolean;
  /** e.g. 'noeviction' */
  maxmemoryPolicy?: string;
  maxmemory?: string;
  extraArgs?: string[];
}

/**
 * A private redis-server on a free loopback port, for tests that must stop, kill and restart it (F1–F7).
 * The data directory survives stop/start so AOF tests (F4) can check what persisted.
 */
export class RedisServer {
  readonly dir: string;
  port = 0;
  private pid: number | null = null;

  constructor(private readonly options: RedisServerOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'sspr-redis-'));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const pidfile = join(this.dir, 'redis.pid');
    const args = [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir,
      '--appendonly', this.options.appendonly ? 'yes' : 'no', '--daemonize', 'yes', '--pidfile', pidfile,
      '--logfile', join(this.dir, 'redis.log'),
    ];
    if (this.options.appendonly) args.push('--appendfsync', 'everysec');
    if (this.options.maxmemoryPolicy) args.push('--maxmemory-policy', this.options.maxmemoryPolicy);
    if (this.options.maxmemory) args.push('--maxmemory', this.options.maxmemory);
    args.push(...(this.options.extraArgs ?? []));
    execFileSync('redis-server', args, { stdio: 'ignore' });
    await this.waitReady();
    for (let i = 0; i < 100 && !existsSync(pidfile); i++) await sleep(10);
    this.pid = Number(readFileSync(pidfile, 'utf8').trim());
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const c = new Redis(this.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await c.connect();
        await c.ping();
        c.disconnect();
        return;
      } catch {
        c.disconnect();
        await sleep(10);
      }
    }
    throw new Error(`redis-server on port ${this.port} did not start; see ${this.dir}/redis.log`);
  }

  /** Graceful stop (SHUTDOWN NOSAVE). */
  async stop(): Promise<void> {
    if (this.pid === null) return;
    this.kill('SIGTERM');
    await this.waitGone();
  }

  /** Hard kill (F4). */
  async kill9(): Promise<void> {
    if (this.pid === null) return;
    this.kill('SIGKILL');
    await this.waitGone();
  }

  private kill(sig: NodeJS.Signals): void {
    try {
      if (this.pid !== null) process.kill(this.pid, sig);
    } catch {
      /* already gone */
    }
  }

  private async waitGone(): Promise<void> {
    const pid = this.pid;
    this.pid = null;
    if (pid === null) return;
    for (let i = 0; i < 500; i++) {
      try {
        process.kill(pid, 0);
        await sleep(10);
      } catch {
        return;
      }
    }
  }

  /** A new client for tests (fail-fast settings). */
  client(): Redis {
    return new Redis(this.port, '127.0.0.1', { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Start a private Redis for one test file. */
export async function startRedis(options?: RedisServerOptions): Promise<RedisServer> {
  const s = new RedisServer(options);
  await s.start();
  return s;
}
