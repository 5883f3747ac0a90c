import { randomBytes } from 'node:crypto';
import { Cluster, Redis, type ClusterOptions, type Command, type RedisOptions } from 'ioredis';

export interface CreateRedisOptions {
  /** Per-command timeout (default 800 ms, capped at 1000 ms: F7). */
  commandTimeoutMs?: number;
  /** TCP connect timeout (default 1000 ms). */
  connectTimeoutMs?: number;
  /** Longest pause between background reconnect attempts (default 1000 ms, so recovery is noticed quickly). */
  maxReconnectDelayMs?: number;
  connectionName?: string;
  /** Connect on first command instead of at construction. */
  lazyConnect?: boolean;
  /** REDIS_CLUSTER: `url` is one node of a Redis Cluster; the client discovers the others (F20). */
  cluster?: boolean;
}

/**
 * The command timeout measures Redis, not our own event loop (issue 15, F7). ioredis rejects a command when its timer
 * fires; timers run at the start of an event-loop iteration, before the socket is read. After a long iteration — 200
 * users' turns whose replies arrived in one read, each running its next step — a reply that Redis sent in a
 * millisecond can still be unread in the socket when the 800 ms timer fires, and the turn failed as "Redis
 * unavailable" (the journey bench's "turn failed" at the bootstrap code check, 69 of them in one run). Here the
 * timer's verdict waits for `setImmediate`, which runs after the same iteration's poll phase has read what the socket
 * holds: a command whose reply is there resolves; one Redis has not answered is still refused (F7: fail closed).
 */
function armDeadline(command: Command, ms: number): void {
  const timer = setTimeout(() => {
    setImmediate(() => {
      if (!command.isSettled) command.reject(new Error('Command timed out'));
    });
  }, ms);
  const clear = (): void => clearTimeout(timer);
  command.promise.then(clear, clear);
}

/** ioredis arms a command's timeout through `command.setTimeout`, once per command (a resend keeps the first). */
function measureRedisNotTheLoop(redis: Redis): void {
  const send = redis.sendCommand.bind(redis);
  const armed = new WeakSet<Command>();
  redis.sendCommand = (command: Command, stream?: Parameters<Redis['sendCommand']>[1]): unknown => {
    command.setTimeout = (ms: number): void => {
      if (armed.has(command)) return;
      armed.add(command);
      armDeadline(command, ms);
    };
    return send(command, stream);
  };
}

/**
 * An ioredis client that fails fast (R22, F1, F7): no offline queue, at most one retry per command, a command
 * timeout ≤ 1 s, and a retry strategy that never gives up reconnecting in the background so recovery is automatic.
 * RESP2 (`protocol: 2`) keeps the reply shapes the scripts and CONFIG GET parsing rely on.
 */
export function createRedis(url: string, opts: CreateRedisOptions = {}): Redis {
  const maxDelay = opts.maxReconnectDelayMs ?? 1000;
  const options: RedisOptions = {
    protocol: 2,
    connectTimeout: opts.connectTimeoutMs ?? 1000,
    commandTimeout: Math.min(opts.commandTimeoutMs ?? 800, 1000),
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
    lazyConnect: opts.lazyConnect ?? false,
    // Issue 15: commands issued in the same tick (a use-case's parallel reads, a turn's concurrent writes) leave in
    // one socket write — one round trip — instead of one each. Order per connection is unchanged.
    enableAutoPipelining: true,
    ...(opts.connectionName === undefined ? {} : { connectionName: opts.connectionName }),
  };
  if (opts.cluster) return createCluster(url, options, maxDelay);
  const redis = new Redis(url, options);
  measureRedisNotTheLoop(redis);
  // Without a listener ioredis reports every failed reconnect as an unhandled 'error' event.
  redis.on('error', () => undefined);
  return redis;
}

/**
 * The same fail-fast settings on an ioredis Cluster seeded by `url` (F20). The nodes it discovers get the URL's
 * credentials and TLS, and each node connection measures Redis, not the loop, like the standalone client. Typed as
 * `Redis`: the stores are written against the shared command API and every key a script or MULTI touches shares one
 * hash tag (`npm run test:cluster` runs them on a 3-primary cluster); a command the Cluster cannot route fails.
 */
function createCluster(url: string, options: RedisOptions, maxDelay: number): Redis {
  const u = new URL(url);
  const { enableOfflineQueue, lazyConnect, enableAutoPipelining, retryStrategy, ...perNode } = options;
  const node: RedisOptions = {
    ...perNode,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: { servername: u.hostname } } : {}),
  };
  const clusterOptions: ClusterOptions = {
    redisOptions: node,
    enableOfflineQueue: enableOfflineQueue ?? false,
    lazyConnect: lazyConnect ?? false,
    enableAutoPipelining: enableAutoPipelining ?? true,
    enableReadyCheck: true,
    slotsRefreshTimeout: 2000,
    clusterRetryStrategy: (times: number) => retryStrategy?.(times) ?? Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
  };
  const cluster = new Cluster([{ host: u.hostname, port: Number(u.port || 6379) }], clusterOptions);
  cluster.on('+node', (n: Redis) => measureRedisNotTheLoop(n));
  cluster.on('error', () => undefined);
  return cluster as unknown as Redis;
}

function isClusterClient(redis: Redis | Cluster): redis is Cluster {
  return (redis as { isCluster?: unknown }).isCluster === true;
}

export interface DurabilityReport {
  ok: boolean;
  /** Human-readable, naming the Redis setting (never a secret). */
  problems: string[];
}

/**
 * R23: production needs `appendonly yes` and `maxmemory-policy noeviction`. Reads them with CONFIG GET; a server
 * that refuses CONFIG (managed Redis) is reported as a problem so the operator must override explicitly.
 */
export async function checkRedisDurability(redis: Redis | Cluster): Promise<DurabilityReport> {
  // On a Cluster CONFIG goes to one node: every primary must be durable, so each is asked.
  const primaries = isClusterClient(redis) ? redis.nodes('master') : null;
  if (primaries) {
    const reports = await Promise.all(primaries.map(async (n) => ({ n, r: await checkRedisDurability(n) })));
    const problems = reports.flatMap(({ n, r }) => r.problems.map((p) => `${n.options.host ?? '?'}:${n.options.port ?? '?'}: ${p}`));
    return { ok: problems.length === 0, problems };
  }
  const problems: string[] = [];
  const get = async (name: string): Promise<string | undefined> => {
    try {
      const reply = (await redis.config('GET', name)) as unknown;
      const flat = Array.isArray(reply) ? (reply as unknown[]) : [];
      const value = flat[1];
      return typeof value === 'string' ? value : undefined;
    } catch (e) {
      problems.push(`cannot read ${name}: ${e instanceof Error ? e.message.split('\n')[0] : 'unknown error'}`);
      return undefined;
    }
  };
  const appendonly = await get('appendonly');
  if (appendonly !== undefined && appendonly !== 'yes') problems.push(`appendonly is "${appendonly}", expected "yes"`);
  const policy = await get('maxmemory-policy');
  if (policy !== undefined && policy !== 'noeviction') {
    problems.push(`maxmemory-policy is "${policy}", expected "noeviction"`);
  }
  return { ok: problems.length === 0, problems };
}

/**
 * Readiness (R22: not-ready within 5 s): writes and reads back a short-lived probe key within `timeoutMs` (default 1000). Never throws.
 */
export async function isRedisReady(redis: Redis, options: { timeoutMs?: number; key?: string } = {}): Promise<boolean> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const key = options.key ?? 'sspr:ready-probe';
  const value = randomBytes(6).toString('hex');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const probe = (async () => {
    try {
      if (redis.status !== 'ready') return false;
      // A key per probe, so instances probing at the same time never read each other's value.
      const probeKey = `${key}:${value}`;
      await redis.set(probeKey, value, 'PX', 5000);
      return (await redis.get(probeKey)) === value;
    } catch {
      return false;
    }
  })();
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
