import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  BotClient,
  closedLoop,
  greeting,
  makeConversations,
  nextTurn,
  openLoop,
  warmUp,
  type LoadResult,
  type Progress,
} from './loadGenerator';
import { PrivateRedis } from './privateRedis';
import { delta, keyUsage, monitorDuring, snapshot, type KeyUsage, type RedisDelta } from './redisProbe';
import { ServerProcess } from './serverProcess';

export interface BenchOptions {
  /** Concurrent conversations of the closed loop (and the pool of the open loop). Default 50. */
  conversations: number;
  /** Measured turns per conversation in the closed loop. Default 40. */
  turnsPerConversation: number;
  /** Unmeasured turns per conversation before each load (after the greeting). Default 4. */
  warmupTurns: number;
  /** Upper bound of each closed-loop phase. Default 20 s. */
  closedMaxSeconds: number;
  /** Open-loop rate, turns/s. Default 200. 0 skips the open loop. */
  openRate: number;
  /** Open-loop duration. Default 10 s. */
  openSeconds: number;
  /** Also run the open loop against the baseline (context for the app's latency). Default true. */
  openBaseline: boolean;
  /** Sequential turns on one conversation used to count commands and round trips exactly. Default 12. */
  calibrationTurns: number;
  /** Log level of the app under test (its log lines are formatted and discarded). Default info. */
  logLevel: string;
  /** Write V8 CPU profiles of both servers here. */
  cpuProfDir?: string;
  /** Told about phase changes and progress. */
  onProgress?: (phase: string, done: number, total: number) => void;
}

export const DEFAULT_BENCH_OPTIONS: BenchOptions = {
  conversations: 50,
  turnsPerConversation: 40,
  warmupTurns: 4,
  closedMaxSeconds: 20,
  openRate: 200,
  openSeconds: 10,
  openBaseline: true,
  calibrationTurns: 12,
  logLevel: 'info',
};

export const TARGETS = { minThroughputRatio: 0.7, maxOpenP99Ms: 15, maxRoundTripsPerTurn: 3 } as const;

export interface TargetVerdict {
  target: string;
  limit: number;
  measured: number;
  pass: boolean;
}

export interface BenchResult {
  startedAt: string;
  durationMs: number;
  environment: { node: string; redis: string; cpus: number; cpuModel: string; commit: string };
  options: Omit<BenchOptions, 'onProgress'>;
  closed: {
    baseline: LoadResult & { serverCpuMsPerTurn: number };
    app: LoadResult & { serverCpuMsPerTurn: number };
    throughputRatio: number;
  };
  open: { app: (LoadResult & { offeredPerSecond: number; maxDispatchLagMs: number }) | null; baseline: (LoadResult & { offeredPerSecond: number; maxDispatchLagMs: number }) | null };
  redis: {
    /** Sequential turns of one conversation (nothing else on the connection): exact per-turn counts. */
    calibration: {
      turns: number;
      commandsPerTurn: number;
      /** Socket writes of the app's Redis client per turn: a command or a whole pipeline each = round trips. */
      clientRoundTripsPerTurn: number;
      /** Server-side read events per turn: the same number seen from Redis (a pipeline arrives in one read). */
      serverReadsPerTurn: number;
      /** Per turn, the top-level commands MONITOR saw (script-internal ones left out), with their first key. */
      monitorSample: string[];
      commandCalls: Record<string, number>;
    };
    /** The closed-loop app phase under load. */
    underLoad: {
      turns: number;
      commandsPerTurn: number;
      clientRoundTripsPerTurn: number;
      serverReadsPerTurn: number;
      commandCallsPerTurn: Record<string, number>;
    };
    bytesPerConversation: number;
    usedMemoryDeltaPerConversation: number;
    dedupeBytesPerTurn: number;
    keys: KeyUsage;
  };
  targets: TargetVerdict[];
}

const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

const perTurn = (d: RedisDelta, turns: number): Record<string, number> =>
  Object.fromEntries(Object.entries(d.commandCalls).map(([k, v]) => [k, round(v / turns)]));

/**
 * Runs the whole benchmark: a private redis-server on a free loopback port, the real app and the bare botbuilder
 * baseline each in its own Node process, a closed loop against both (throughput, ratio), exact Redis command and
 * round-trip counts, Redis bytes per conversation, and an open loop at a fixed rate (latency from the scheduled time).
 */
export async function runBench(partial: Partial<BenchOptions> = {}): Promise<BenchResult> {
  const o: BenchOptions = { ...DEFAULT_BENCH_OPTIONS, ...partial };
  const say = (phase: string, done = 0, total = 0): void => o.onProgress?.(phase, done, total);
  const progress = (phase: string): Progress => (done, total) => say(phase, done, total);
  const startedAt = new Date();
  const t0 = performance.now();

  say('starting redis-server');
  const redisServer = await PrivateRedis.start();
  const probe = redisServer.client();
  const servers: ServerProcess[] = [];
  const clients: BotClient[] = [];
  try {
    const redisVersion = /redis_version:(\S+)/.exec(await probe.info('server'))?.[1] ?? 'unknown';
    const profDir = o.cpuProfDir;
    say('starting servers');
    const baseline = await ServerProcess.start({ target: 'baseline', logLevel: o.logLevel, ...(profDir ? { cpuProfDir: profDir } : {}) });
    servers.push(baseline);
    const app = await ServerProcess.start({ target: 'app', redisUrl: redisServer.url, logLevel: o.logLevel, ...(profDir ? { cpuProfDir: profDir } : {}) });
    servers.push(app);
    const maxSockets = Math.max(o.conversations, Math.ceil(o.openRate / 2), 8);
    const baselineClient = new BotClient(baseline.baseUrl, maxSockets);
    const appClient = new BotClient(app.baseUrl, maxSockets);
    clients.push(baselineClient, appClient);

    // 1. Baseline, closed loop.
    say('baseline warm-up');
    const baseConvs = makeConversations(o.conversations, 'b');
    await warmUp(baselineClient, baseConvs, o.warmupTurns);
    const bCpu0 = (await baseline.stats()).cpuMicros;
    const baseClosed = await closedLoop(baselineClient, baseConvs, o.turnsPerConversation, o.closedMaxSeconds * 1000, progress('baseline closed loop'));
    const bCpu1 = (await baseline.stats()).cpuMicros;

    // 2. App, calibration: one conversation, sequential turns, nothing else talking to Redis.
    say('app calibration');
    const [cal] = makeConversations(1, 'k');
    await appClient.post(greeting(cal!));
    for (let i = 0; i < 4; i++) await appClient.post(nextTurn(cal!));
    const calStats0 = await app.stats();
    const calSnap0 = await snapshot(probe);
    for (let i = 0; i < o.calibrationTurns; i++) await appClient.post(nextTurn(cal!));
    const calSnap1 = await snapshot(probe);
    const calStats1 = await app.stats();
    const calDelta = delta(calSnap0, calSnap1);
    const monitorSample: string[] = [];
    const monitorClient = redisServer.client();
    await monitorDuring(monitorClient, async (mark) => {
      for (let i = 0; i < Math.min(4, o.calibrationTurns); i++) {
        await appClient.post(nextTurn(cal!));
        await new Promise((r) => setTimeout(r, 30));
        monitorSample.push(
          mark()
            .filter((c) => !c.fromScript)
            .map((c) => (c.key ? `${c.name}(${c.key})` : c.name))
            .join(' '),
        );
      }
    }).finally(() => monitorClient.disconnect());

    // 3. App, closed loop.
    say('app warm-up');
    const appConvs = makeConversations(o.conversations, 'a');
    const mem0 = (await snapshot(probe)).usedMemory;
    await warmUp(appClient, appConvs, o.warmupTurns);
    const aStats0 = await app.stats();
    const aSnap0 = await snapshot(probe);
    const appClosed = await closedLoop(appClient, appConvs, o.turnsPerConversation, o.closedMaxSeconds * 1000, progress('app closed loop'));
    const aSnap1 = await snapshot(probe);
    const aStats1 = await app.stats();
    const loadDelta = delta(aSnap0, aSnap1);
    say('measuring Redis memory');
    const keys = await keyUsage(probe);
    // The closed-loop users plus the calibration user have state at this point.
    const conversationsWithState = o.conversations + 1;
    const memDelta = aSnap1.usedMemory - mem0;

    // 4. Open loop at a fixed rate.
    let openApp: BenchResult['open']['app'] = null;
    let openBase: BenchResult['open']['baseline'] = null;
    if (o.openRate > 0) {
      say('app open-loop warm-up');
      const openConvs = makeConversations(o.conversations, 'o');
      await warmUp(appClient, openConvs, 1);
      openApp = await openLoop(appClient, openConvs, o.openRate, o.openSeconds * 1000, progress(`app open loop ${o.openRate}/s`));
      if (o.openBaseline) {
        const openBaseConvs = makeConversations(o.conversations, 'p');
        await warmUp(baselineClient, openBaseConvs, 1);
        openBase = await openLoop(baselineClient, openBaseConvs, o.openRate, o.openSeconds * 1000, progress(`baseline open loop ${o.openRate}/s`));
      }
    }

    const throughputRatio = round(appClosed.turnsPerSecond / baseClosed.turnsPerSecond);
    const calTurns = o.calibrationTurns;
    const clientRoundTripsPerTurn = round((calStats1.redisWrites - calStats0.redisWrites) / calTurns);
    const targets: TargetVerdict[] = [
      { target: 'closed-loop throughput ratio app/baseline ≥', limit: TARGETS.minThroughputRatio, measured: throughputRatio, pass: throughputRatio >= TARGETS.minThroughputRatio },
    ];
    if (openApp) {
      targets.push({ target: `open-loop p99 at ${o.openRate} turns/s (ms) ≤`, limit: TARGETS.maxOpenP99Ms, measured: openApp.latencyMs.p99, pass: openApp.latencyMs.p99 <= TARGETS.maxOpenP99Ms });
    }
    targets.push({ target: 'Redis round trips per turn ≤', limit: TARGETS.maxRoundTripsPerTurn, measured: clientRoundTripsPerTurn, pass: clientRoundTripsPerTurn <= TARGETS.maxRoundTripsPerTurn });

    const { onProgress: _omit, ...options } = o;
    return {
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(performance.now() - t0),
      environment: { node: process.version, redis: redisVersion, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', commit: gitCommit() },
      options,
      closed: {
        baseline: { ...baseClosed, serverCpuMsPerTurn: round((bCpu1 - bCpu0) / 1000 / baseClosed.turns, 3) },
        app: { ...appClosed, serverCpuMsPerTurn: round((aStats1.cpuMicros - aStats0.cpuMicros) / 1000 / appClosed.turns, 3) },
        throughputRatio,
      },
      open: { app: openApp, baseline: openBase },
      redis: {
        calibration: {
          turns: calTurns,
          commandsPerTurn: round(calDelta.commands / calTurns),
          clientRoundTripsPerTurn,
          serverReadsPerTurn: round(calDelta.readsProcessed / calTurns),
          monitorSample,
          commandCalls: perTurn(calDelta, calTurns),
        },
        underLoad: {
          turns: appClosed.turns,
          commandsPerTurn: round(loadDelta.commands / appClosed.turns),
          clientRoundTripsPerTurn: round((aStats1.redisWrites - aStats0.redisWrites) / appClosed.turns),
          serverReadsPerTurn: round(loadDelta.readsProcessed / appClosed.turns),
          commandCallsPerTurn: perTurn(loadDelta, appClosed.turns),
        },
        bytesPerConversation: Math.round(keys.conversationBytes / conversationsWithState),
        usedMemoryDeltaPerConversation: Math.round(memDelta / o.conversations),
        dedupeBytesPerTurn: keys.dedupeKeys ? Math.round(keys.dedupeBytes / keys.dedupeKeys) : 0,
        keys,
      },
      targets,
    };
  } finally {
    say('stopping');
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    probe.disconnect();
    await redisServer.stop();
  }
}
