import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis, { Cluster } from 'ioredis';
import { createRedis, type CreateRedisOptions } from '../../bot/redisClient';

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

  /** Where a worker process connects: `clusterNodes` set on a Cluster (scripts/campaigns/harness.ts). */
  get target(): { url: string; clusterNodes?: { host: string; port: number }[] } {
    return { url: this.url };
  }

  /** The app's fail-fast client (bot/redisClient.ts) on this server; on a Cluster the same settings on ioredis Cluster. */
  failFastClient(opts: CreateRedisOptions = {}): Redis {
    return createRedis(this.url, opts);
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

/**
 * Start a private Redis for one test file. Under `npm run test:cluster` (SSPR_TEST_REDIS=cluster) a private
 * 3-primary Redis Cluster instead (test/support/redisCluster.ts), unless the suite needs a server option.
 */
export async function startRedis(options?: RedisServerOptions): Promise<RedisServer> {
  if (process.env.SSPR_TEST_REDIS === 'cluster' && options === undefined) {
    const c = new RedisClusterServer();
    await c.start();
    return c;
  }
  const s = new RedisServer(options);
  await s.start();
  return s;
}

/** `npm run test:cluster` sets this: the Redis-backed suites then run against a private 3-primary Redis Cluster (F20). */
export const CLUSTER_MODE = process.env.SSPR_TEST_REDIS === 'cluster';

/**
 * An ioredis Cluster client for tests, seeded with one node (it discovers the others). FLUSHALL is sent to every
 * primary: on a Cluster client ioredis sends a keyless command to one node only, so a test's clean slate would
 * otherwise keep two thirds of the keys. Typed as `Redis` because the suites and adapters are written against the
 * shared command API; a command the Cluster cannot route (CROSSSLOT, multi-slot pipeline) fails the test, as it should.
 */
export function clusterClient(port: number, options: { lazyConnect?: boolean; commandTimeoutMs?: number } = {}): Redis {
  const c = new Cluster([{ host: '127.0.0.1', port }], {
    redisOptions: { protocol: 2, maxRetriesPerRequest: 1, ...(options.commandTimeoutMs ? { commandTimeout: options.commandTimeoutMs } : {}) },
    enableReadyCheck: true,
    slotsRefreshTimeout: 2000,
    lazyConnect: options.lazyConnect === true,
  });
  c.on('error', () => undefined);
  const all = async (): Promise<'OK'> => {
    await Promise.all(c.nodes('master').map((n) => n.flushall()));
    return 'OK';
  };
  Object.assign(c, { flushall: all, flushdb: all });
  return c as unknown as Redis;
}

/**
 * A private 3-primary Redis Cluster on free loopback ports: three `redis-server --cluster-enabled yes` in their own
 * directories, joined by `redis-cli --cluster create … --cluster-replicas 0 --cluster-yes`. `url`/`port` are the first
 * node's (a seed), `client()` an ioredis Cluster. Started per test file, so two jest workers never share a keyspace.
 */
export class RedisClusterServer extends RedisServer {
  readonly ports: number[] = [];
  private readonly pids: number[] = [];

  override get url(): string {
    return `redis://127.0.0.1:${this.ports[0] ?? 0}`;
  }

  override get target(): { url: string; clusterNodes: { host: string; port: number }[] } {
    return { url: this.url, clusterNodes: this.ports.map((port) => ({ host: '127.0.0.1', port })) };
  }

  override async start(): Promise<void> {
    if (this.ports.length === 0) for (let i = 0; i < 3; i++) this.ports.push(await freePort());
    this.port = this.ports[0]!;
    for (const port of this.ports) {
      const dir = join(this.dir, String(port));
      mkdirSync(dir, { recursive: true });
      const pidfile = join(dir, 'redis.pid');
      execFileSync('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
        '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', '2000',
        '--daemonize', 'yes', '--pidfile', pidfile, '--logfile', join(dir, 'redis.log'),
      ], { stdio: 'ignore' });
      for (let i = 0; i < 300 && !existsSync(pidfile); i++) await sleep(10);
      this.pids.push(Number(readFileSync(pidfile, 'utf8').trim()));
    }
    execFileSync('redis-cli', ['--cluster', 'create', ...this.ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      stdio: 'ignore',
      timeout: 30_000,
    });
    // Ready when every node reports the cluster ok and knows all 16384 slots.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ok = this.ports.every((p) => {
        const info = execFileSync('redis-cli', ['-p', String(p), 'cluster', 'info'], { encoding: 'utf8' });
        return info.includes('cluster_state:ok') && info.includes('cluster_slots_ok:16384');
      });
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`Redis Cluster on ${this.ports.join(', ')} did not become ready; see ${this.dir}`);
      await sleep(100);
    }
    const c = clusterClient(this.port);
    try {
      for (let i = 0; i < 200 && (c as unknown as Cluster).status !== 'ready'; i++) await sleep(25);
    } finally {
      c.disconnect();
    }
  }

  override client(): Redis {
    return clusterClient(this.port);
  }

  override failFastClient(opts: CreateRedisOptions = {}): Redis {
    return clusterClient(this.port, { lazyConnect: opts.lazyConnect === true, commandTimeoutMs: opts.commandTimeoutMs ?? 800 });
  }

  override async stop(): Promise<void> {
    for (const pid of this.pids.splice(0)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        continue;
      }
      for (let i = 0; i < 300; i++) {
        try {
          process.kill(pid, 0);
          await sleep(10);
        } catch {
          break;
        }
      }
    }
  }

  override async kill9(): Promise<void> {
    throw new Error('kill9 on a Redis Cluster: the fault tests (F1–F7) run on a standalone server, not under test:cluster');
  }
}
