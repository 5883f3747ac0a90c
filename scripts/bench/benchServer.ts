/**
 * Child process of the benchmark: runs ONE server under test so the load generator never shares its event loop.
 * `--target app --redis-url redis://127.0.0.1:<port>` runs the real product (createApp from bot/app.ts);
 * `--target baseline` runs the bare botbuilder waterfall. Talks to the parent over IPC:
 * → {type:'ready', port}; ← {type:'stats'} → {type:'stats', ...}; ← {type:'close'} → exits.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { constants, monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import type { AnswerHasher } from '../../domain/ports/answerHasher';
import type { Redis } from 'ioredis';
import { createApp } from '../../bot/app';
import { loadConfig } from '../../bot/config';
import { createLogger } from '../../bot/logger';
import { createRedis } from '../../bot/redisClient';
import { createBaselineServer } from './baselineServer';

export interface ServerStats {
  type: 'stats';
  /** Garbage-collection pauses since the process started (PerformanceObserver 'gc'): count, total and largest, ms. */
  gc: { count: number; totalMs: number; maxMs: number; majorCount: number; majorMs: number };
  /** Event-loop delay since the last `stats` with reset (monitorEventLoopDelay, 1 ms resolution), ms. */
  eventLoop: { p50Ms: number; p99Ms: number; maxMs: number };
  /** Writes on the app's Redis socket: one per command or per pipeline, i.e. one per round trip. */
  redisWrites: number;
  /** Process CPU time (user + system), microseconds. */
  cpuMicros: number;
  /** Resident set size, bytes. */
  rssBytes: number;
  /**
   * JavaScript heap bytes allocated since the process started (all spaces), from V8's heap statistics around every GC
   * (v8.GCProfiler): Σ (used before a GC − used after the previous one) + what was allocated since the last. Not
   * sensitive to the machine's load, so a per-turn figure compares code versions in any run.
   */
  allocatedBytes: number;
}

export type ParentMessage = { type: 'stats'; reset?: boolean } | { type: 'close' } | { type: 'outbox'; id: number; to: string } | { type: 'hashLoad'; count: number };

/** What `count` parallel argon2 verifications did to the app process. */
export interface HashLoadResult {
  type: 'hashLoad';
  count: number;
  /** Verifications that answered as expected (half right, half wrong answers). */
  correct: number;
  elapsedMs: number;
  rssBeforeBytes: number;
  /** Largest RSS sampled every 5 ms while they ran. */
  rssPeakBytes: number;
  /** Event-loop delay while they ran (perf_hooks.monitorEventLoopDelay, 5 ms resolution), ms. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** Largest number of argon2 runs in flight at once (the gate's bound). */
  maxRunning: number;
  error?: string;
}
export type ChildMessage =
  | { type: 'ready'; port: number }
  | ServerStats
  | { type: 'error'; message: string }
  /** The newest code the app's dev outbox holds for a destination (the journey bench types it, as a tester would). */
  | { type: 'outbox'; id: number; code: string | null }
  | HashLoadResult;

/** One user of a demo-directory file (only the fields the bench's roster lookup needs). */
interface DirectoryUser {
  objectId: string;
  userPrincipalName: string;
  displayName: string;
}

/** Discards log lines (pino still formats them, as in production). */
class NullStream extends Writable {
  override _write(_chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    cb();
  }
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Counts socket writes of an ioredis client (ioredis writes a pipeline in one write). */
function countWrites(redis: Redis): () => number {
  let writes = 0;
  const patch = (): void => {
    const stream = (redis as unknown as { stream?: NodeJS.WritableStream & { __benchPatched?: boolean } }).stream;
    if (!stream || stream.__benchPatched) return;
    const original = stream.write.bind(stream) as (...a: unknown[]) => boolean;
    stream.write = ((...a: unknown[]) => {
      writes++;
      return original(...a);
    });
    stream.__benchPatched = true;
  };
  redis.on('connect', patch);
  patch();
  return () => writes;
}

async function waitReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bench: Redis not ready within 5 s')), 5000);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * `count` argon2 verifications started at once on the app's own hasher (the process-wide gate), half with the right
 * answer: RSS sampled every 5 ms and event-loop delay while they run. The turns the parent sends meanwhile share the
 * event loop, so their latency shows the stall too.
 */
async function parallelVerifications(hasher: AnswerHasher & { running?: number }, count: number): Promise<HashLoadResult> {
  const hash = await hasher.hash('the name of my first pet');
  global.gc?.();
  const rssBeforeBytes = process.memoryUsage().rss;
  let rssPeakBytes = rssBeforeBytes;
  let maxRunning = 0;
  const sampler = setInterval(() => {
    rssPeakBytes = Math.max(rssPeakBytes, process.memoryUsage().rss);
    maxRunning = Math.max(maxRunning, hasher.running ?? 0);
  }, 5);
  const eld = monitorEventLoopDelay({ resolution: 5 });
  eld.enable();
  const t0 = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: count }, (_, i) => hasher.verify(hash, i % 2 === 0 ? 'the name of my first pet' : 'a wrong answer')),
  );
  const elapsedMs = performance.now() - t0;
  eld.disable();
  clearInterval(sampler);
  rssPeakBytes = Math.max(rssPeakBytes, process.memoryUsage().rss);
  return {
    type: 'hashLoad',
    count,
    correct: outcomes.filter((ok, i) => ok === (i % 2 === 0)).length,
    elapsedMs: Math.round(elapsedMs),
    rssBeforeBytes,
    rssPeakBytes,
    eventLoopDelayP99Ms: Math.round((eld.percentile(99) / 1e6) * 100) / 100,
    eventLoopDelayMaxMs: Math.round((eld.max / 1e6) * 100) / 100,
    maxRunning,
  };
}

/** Cumulative JavaScript heap allocation (see {@link ServerStats.allocatedBytes}); each call restarts the profiler. */
function allocationCounter(): () => number {
  let total = 0;
  let lastUsed = getHeapStatistics().used_heap_size;
  let profiler = new GCProfiler();
  profiler.start();
  return () => {
    const data = profiler.stop() as { statistics?: { beforeGC: { heapStatistics: { usedHeapSize: number } }; afterGC: { heapStatistics: { usedHeapSize: number } } }[] } | undefined;
    for (const gc of data?.statistics ?? []) {
      total += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - lastUsed);
      lastUsed = gc.afterGC.heapStatistics.usedHeapSize;
    }
    const used = getHeapStatistics().used_heap_size;
    total += Math.max(0, used - lastUsed);
    lastUsed = used;
    profiler = new GCProfiler();
    profiler.start();
    return total;
  };
}

async function main(): Promise<void> {
  const send = (m: ChildMessage): void => {
    process.send?.(m);
  };
  const target = arg('target');
  const logLevel = arg('log-level') ?? 'info';
  let close: () => Promise<void>;
  let port: number;
  let redisWrites: () => number = () => 0;
  let lastCode: (to: string) => string | null = () => null;
  let hashLoad: (count: number) => Promise<HashLoadResult> = async (count) => ({ type: 'hashLoad', count, correct: 0, elapsedMs: 0, rssBeforeBytes: 0, rssPeakBytes: 0, eventLoopDelayP99Ms: 0, eventLoopDelayMaxMs: 0, maxRunning: 0, error: 'not the app' });

  if (target === 'app') {
    const redisUrl = arg('redis-url');
    if (!redisUrl) throw new Error('--redis-url is required for --target app');
    const demoDirectory = arg('demo-directory');
    // --directory-env: a real directory (the journey bench's slapd); the demo-directory file then only feeds the roster.
    const directoryEnv = JSON.parse(arg('directory-env') ?? 'null') as Record<string, string> | null;
    const config = loadConfig({
      SSPR_MODE: 'development',
      REDIS_URL: redisUrl,
      LOG_LEVEL: logLevel,
      ...(directoryEnv ?? (demoDirectory ? { DEMO_DIRECTORY_FILE: demoDirectory } : {})),
    });
    // The roster answer Teams would give for a directory user (name, UPN); other bench users get a fixed one.
    const roster = new Map<string, DirectoryUser>();
    if (demoDirectory) {
      const file = JSON.parse(readFileSync(demoDirectory, 'utf8')) as { users: DirectoryUser[] };
      for (const u of file.users) roster.set(u.objectId, u);
    }
    const redis = createRedis(redisUrl, { connectionName: 'sspr-bench-app' });
    await waitReady(redis);
    redisWrites = countWrites(redis);
    const appLog = arg('app-log');
    const app = await createApp(config, createLogger(config.logLevel, appLog ? createWriteStream(appLog, { flags: 'a' }) : new NullStream()), {
      redis,
      // Teams roster lookup (TeamsInfo.getMember) would call the Bot Connector; answered locally instead.
      // The bot caches it per conversation for an hour, so it is off the measured path either way.
      memberLookup: async (context) => {
        const u = roster.get(context.activity.from?.aadObjectId ?? '');
        return u
          ? { name: u.displayName, upn: u.userPrincipalName, role: 'user' }
          : { name: context.activity.from?.name ?? 'Bench User', upn: 'bench.user@contoso.example', role: 'user' };
      },
    });
    const outbox = app.services.security.outbox;
    lastCode = (to) => outbox?.lastCode(to) ?? null;
    hashLoad = (count) => parallelVerifications(app.services.security.answerHasher, count);
    port = await app.listen(0, '127.0.0.1');
    close = async () => {
      await app.close(2000);
      await redis.quit().catch(() => redis.disconnect());
    };
  } else if (target === 'baseline') {
    const http = createBaselineServer(createLogger(logLevel, new NullStream()));
    port = await new Promise<number>((resolve) => {
      http.server.listen(0, '127.0.0.1', () => resolve(http.server.address().port));
    });
    close = () => new Promise<void>((resolve) => http.server.close(() => resolve()));
  } else {
    throw new Error('--target must be app or baseline');
  }

  // What a tail is made of: GC pauses and event-loop delay, observed in-process (cheap; always on).
  const gc = { count: 0, totalMs: 0, maxMs: 0, majorCount: 0, majorMs: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.totalMs += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
      const kind = ((e as unknown as { detail?: { kind?: number } }).detail)?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        gc.majorCount++;
        gc.majorMs += e.duration;
      }
    }
  }).observe({ entryTypes: ['gc'] });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const allocated = allocationCounter();

  let closing: Promise<void> | null = null;
  const shutdown = (): void => {
    // A normal exit (not a kill) so --cpu-prof writes its profile.
    closing ??= close().finally(() => process.exit(0));
  };
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'stats') {
      const cpu = process.cpuUsage();
      const ms = (ns: number): number => Math.round((ns / 1e6) * 100) / 100;
      send({
        type: 'stats',
        redisWrites: redisWrites(),
        cpuMicros: cpu.user + cpu.system,
        rssBytes: process.memoryUsage().rss,
        allocatedBytes: allocated(),
        gc: { ...gc, totalMs: Math.round(gc.totalMs * 100) / 100, majorMs: Math.round(gc.majorMs * 100) / 100 },
        eventLoop: { p50Ms: ms(loop.percentile(50)), p99Ms: ms(loop.percentile(99)), maxMs: ms(loop.max) },
      });
      if (m.reset) {
        loop.reset();
        gc.maxMs = 0;
      }
    } else if (m.type === 'hashLoad') {
      void hashLoad(m.count).then(send, (e: unknown) => send({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
    } else if (m.type === 'outbox') {
      send({ type: 'outbox', id: m.id, code: lastCode(m.to) });
    } else if (m.type === 'close') {
      shutdown();
    }
  });
  process.on('disconnect', shutdown);
  send({ type: 'ready', port });
}

main().catch((e: unknown) => {
  process.send?.({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
});
