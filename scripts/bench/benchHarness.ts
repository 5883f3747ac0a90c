import { execFileSync } from 'node:child_process';
import type { Redis } from 'ioredis';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  BotClient,
  closedLoop,
  greeting,
  makeConversations,
  nextTurn,
  nextTurnKind,
  openLoop,
  result,
  warmUp,
  type LoadResult,
  type Progress,
} from './loadGenerator';
import { PrivateRedis } from './privateRedis';
import { delta, keyUsage, monitorDuring, snapshot, type KeyUsage, type RedisDelta } from './redisProbe';
import { ServerProcess } from './serverProcess';
import type { HashLoadResult } from './benchServer';
import { measureStartup, type StartupResult } from './startup';
import { MachineLoad, quietness, type PhaseLoad } from './machineLoad';
import { BenchConnector } from './connectorStub';
import { makeJourneyUsers, startJourneySlapd, writeJourneyDirectory, type JourneySlapd } from './journey';
import { runJourneyScenario, type JourneyResult } from './journeyBench';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchOptions {
  /** Concurrent conversations of the closed loop (and the pool of the open loop). Default 50. */
  conversations: number;
  /** Measured turns per conversation in each closed-loop round. Default 20. */
  turnsPerConversation: number;
  /**
   * Closed-loop rounds, alternating baseline and app (default 3). Throughput is the median of the rounds, so a burst of
   * load from other processes on the machine skews one round, not the ratio.
   */
  rounds: number;
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
  /** The open loop runs in this many slices alternating app and baseline (merged). Default 5. */
  openSlices: number;
  /** Sequential turns on one conversation used to count commands and round trips exactly. Default 15 (3 × the script). */
  calibrationTurns: number;
  /** Log level of the app under test (its log lines are formatted and discarded). Default info. */
  logLevel: string;
  /** Journey scenario: users registering two methods and resetting with them, all at once. Default 200; 0 skips. */
  journeyUsers: number;
  /** Journey scenario's directory: the generated demo directory (default) or a private slapd (OpenLDAP with ppolicy,
   *  test/support/slapd.ts) holding the same users, which the app reaches as DIRECTORY=ldap (openldap dialect). */
  journeyDirectory: 'demo' | 'slapd';
  /** Journey scenario: users run one at a time for exact round trips and CPU per turn kind. Default 2; never fewer than 2
   *  (even users set the password in the chat card, odd ones in the dialog page: both password submits are counted). */
  journeyCalibration: number;
  /** argon2 verifications started at once in the app process (RSS, event-loop delay). Default 1000; 0 skips. */
  hashVerifications: number;
  /** Measure start-to-ready and idle RSS of the app as `npm start` runs it. Default true. */
  startup: boolean;
  /** Start-ups measured one after another: the first without the code cache, the median of the rest is reported. Default 4. */
  startupRuns: number;
  /** Node flags of the app's process (default: none). */
  appNodeFlags: string[];
  /** Node flags of the baseline's process (default: none). */
  baselineNodeFlags: string[];
  /** Append the app's log lines here (default: formatted and discarded). */
  appLog?: string;
  /** Write V8 CPU profiles of both servers here. */
  cpuProfDir?: string;
  /** Told about phase changes and progress. */
  onProgress?: (phase: string, done: number, total: number) => void;
}

export const DEFAULT_BENCH_OPTIONS: BenchOptions = {
  conversations: 50,
  turnsPerConversation: 20,
  rounds: 3,
  warmupTurns: 4,
  closedMaxSeconds: 20,
  openRate: 200,
  openSeconds: 10,
  openBaseline: true,
  openSlices: 5,
  calibrationTurns: 15,
  logLevel: 'info',
  journeyUsers: 200,
  journeyDirectory: 'demo',
  journeyCalibration: 2,
  hashVerifications: 1000,
  startup: true,
  startupRuns: 4,
  appNodeFlags: [],
  baselineNodeFlags: [],
};

export const TARGETS = {
  minThroughputRatio: 0.7,
  maxOpenP99Ms: 15,
  /** Open-loop p99 of the app ÷ the baseline's, same run. */
  maxOpenP99Ratio: 2,
  maxRoundTripsPerTurn: 3,
  maxJourneyRoundTrips: 4,
  /** Dedupe marks at a steady 50 turns/s (Teams' per-tenant cap), MB. */
  maxDedupeMb: 50,
  /** Peak RSS of the app while 1,000 argon2 verifications run, MiB (< 1 GiB). */
  maxHashRssMib: 1024,
  /** Event-loop delay p99 of the app while they run, ms ("does not stall the event loop"). */
  maxHashEventLoopP99Ms: 50,
  maxStartToReadyMs: 1500,
  maxIdleRssMb: 150,
} as const;

/** Teams' per-tenant rate the dedupe target is computed at. */
export const STEADY_TURNS_PER_SECOND = 50;

export interface TargetVerdict {
  target: string;
  /** The limit as printed ("≥ 0.7", "≤ 15 ms"); "—" for a figure that is reported, not judged. */
  limit: string;
  /** The measured value with its unit, as printed. */
  measured: string;
  /** null: reported only (no limit in the issue). */
  pass: boolean | null;
  /** A latency or time target measured while other work used the machine (see machineLoad.ts): the verdict is
   *  printed with "not quiet" — the integrator's quiet run decides. */
  notQuiet?: boolean;
  /** What the measured value is made of, or why it was missed. */
  note?: string;
}

export interface BenchResult {
  startedAt: string;
  durationMs: number;
  environment: {
    node: string;
    redis: string;
    cpus: number;
    cpuModel: string;
    commit: string;
    /** 1-minute load average before and after: other work on the machine distorts every number above ~0.5 per CPU. */
    loadAverage: { start: number; end: number };
    /** Per phase: load average, CPUs used by other work and by the bench itself (scripts/bench/machineLoad.ts). */
    phases: PhaseLoad[];
  };
  options: Omit<BenchOptions, 'onProgress'>;
  closed: {
    /** All rounds merged; turnsPerSecond is the MEDIAN of the rounds. */
    baseline: LoadResult & { serverCpuMsPerTurn: number; roundsTurnsPerSecond: number[] };
    app: LoadResult & { serverCpuMsPerTurn: number; roundsTurnsPerSecond: number[] };
    throughputRatio: number;
    roundRatios: number[];
  };
  open: { app: OpenResult | null; baseline: OpenResult | null };
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
      /** Round trips (client socket writes) per scripted turn kind, mean over the calibration turns. */
      roundTripsByKind: Record<string, number>;
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
  /** Redis memory at scale (issue 15): measured bytes × the counts that grow. */
  memory: {
    /** MEMORY USAGE of an idle cheap-turn conversation's keys (state, reference, fence). */
    bytesPerIdleConversation: number;
    /** MEMORY USAGE of all keys of a journey user after the journey (methods, codes, throttles, state, …); null = skipped. */
    bytesPerRegisteredUser: number | null;
    dedupeBytesPerMark: number;
    /** The window the app keeps the marks (largest TTL seen, rounded up to a minute). */
    dedupeWindowSeconds: number;
    /** Teams' per-tenant cap the target is computed at. */
    steadyTurnsPerSecond: number;
    /** dedupeBytesPerMark × steadyTurnsPerSecond × dedupeWindowSeconds. */
    dedupeBytesAtSteadyRate: number;
  };
  /** The journey scenario (null when skipped). */
  journeys: JourneyResult | null;
  /** Parallel argon2 verifications in the app process, with cheap turns sent meanwhile (null when skipped). */
  hashing: (Omit<HashLoadResult, 'type'> & { turnsDuring: LoadResult }) | null;
  /** Why the argon2 phase has no result (it did not finish in time), or null. */
  hashingProblem: string | null;
  /** `npm start`-like start of the app (null when skipped). */
  startup: StartupResult | null;
  targets: TargetVerdict[];
}

/** One open-loop run with what happened inside the server meanwhile. */
export type OpenResult = LoadResult & {
  offeredPerSecond: number;
  maxDispatchLagMs: number;
  /** Server side during the run: GC pauses (count, total, largest, major ones) and event-loop delay. */
  server: { gcCount: number; gcTotalMs: number; gcMaxMs: number; gcMajorCount: number; eventLoopP99Ms: number; eventLoopMaxMs: number; cpuMsPerTurn: number };
};

/** Runs an open loop and reads the server's GC and event-loop counters around it. */
async function openLoopWithServer(server: ServerProcess, run: () => Promise<LoadResult & { offeredPerSecond: number; maxDispatchLagMs: number }>): Promise<OpenResult> {
  const s0 = await server.stats(true);
  const r = await run();
  const s1 = await server.stats(true);
  return {
    ...r,
    server: {
      gcCount: s1.gc.count - s0.gc.count,
      gcTotalMs: round(s1.gc.totalMs - s0.gc.totalMs),
      gcMaxMs: round(s1.gc.maxMs),
      gcMajorCount: s1.gc.majorCount - s0.gc.majorCount,
      eventLoopP99Ms: s1.eventLoop.p99Ms,
      eventLoopMaxMs: s1.eventLoop.maxMs,
      cpuMsPerTurn: round((s1.cpuMicros - s0.cpuMicros) / 1000 / Math.max(1, r.turns), 3),
    },
  };
}

/** Slices merged: all samples; GC and CPU summed/averaged, the largest pause and the worst event-loop p99 kept. */
function mergeOpen(slices: readonly OpenResult[], samples: number[]): OpenResult {
  const first = slices[0]!;
  const elapsed = slices.reduce((a, x) => a + x.elapsedMs, 0);
  const merged = result(samples, slices.reduce((a, x) => a + x.errors, 0), new Set(slices.flatMap((x) => x.problems)), elapsed);
  const sum = (f: (x: OpenResult) => number): number => slices.reduce((a, x) => a + f(x), 0);
  const max = (f: (x: OpenResult) => number): number => Math.max(...slices.map(f));
  return {
    ...merged,
    offeredPerSecond: first.offeredPerSecond,
    maxDispatchLagMs: max((x) => x.maxDispatchLagMs),
    server: {
      gcCount: sum((x) => x.server.gcCount),
      gcTotalMs: round(sum((x) => x.server.gcTotalMs)),
      gcMaxMs: max((x) => x.server.gcMaxMs),
      gcMajorCount: sum((x) => x.server.gcMajorCount),
      eventLoopP99Ms: max((x) => x.server.eventLoopP99Ms),
      eventLoopMaxMs: max((x) => x.server.eventLoopMaxMs),
      cpuMsPerTurn: round(sum((x) => x.server.cpuMsPerTurn * x.turns) / Math.max(1, merged.turns), 3),
    },
  };
}

const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** Rounds merged: all samples, summed turns and errors; throughput = median of the rounds. */
function mergeRounds(rounds: readonly LoadResult[], samples: readonly number[]): LoadResult & { roundsTurnsPerSecond: number[] } {
  const errors = rounds.reduce((a, r) => a + r.errors, 0);
  const problems = new Set(rounds.flatMap((r) => r.problems));
  const elapsed = rounds.reduce((a, r) => a + r.elapsedMs, 0);
  const merged = result([...samples], errors, problems, elapsed);
  const tps = rounds.map((r) => r.turnsPerSecond);
  const sorted = [...tps].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { ...merged, turnsPerSecond: round(median, 1), roundsTurnsPerSecond: tps };
}

function sumDeltas(ds: readonly RedisDelta[]): RedisDelta {
  const commandCalls: Record<string, number> = {};
  for (const d of ds) for (const [k, v] of Object.entries(d.commandCalls)) commandCalls[k] = (commandCalls[k] ?? 0) + v;
  const sum = (f: (d: RedisDelta) => number): number => ds.reduce((a, d) => a + f(d), 0);
  return {
    commandCalls,
    commands: sum((d) => d.commands),
    totalCommandsProcessed: sum((d) => d.totalCommandsProcessed),
    readsProcessed: sum((d) => d.readsProcessed),
    writesProcessed: sum((d) => d.writesProcessed),
    usedMemory: sum((d) => d.usedMemory),
  };
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
  const load0 = round(loadavg()[0] ?? 0);
  const t0 = performance.now();

  say('starting redis-server');
  const redisServer = await PrivateRedis.start();
  const probe = redisServer.client();
  const servers: ServerProcess[] = [];
  const clients: BotClient[] = [];
  const workDir = mkdtempSync(join(tmpdir(), 'sspr-bench-'));
  const extraClients: Redis[] = [];
  const extraClient = (c: Redis): Redis => {
    extraClients.push(c);
    return c;
  };
  const connector = new BenchConnector();
  const machine = new MachineLoad(() => [redisServer.pid, ...servers.map((s) => s.pid)]);
  let slapd: JourneySlapd | undefined;
  try {
    await connector.start();
    const journeyUsers = {
      warmUp: makeJourneyUsers(o.journeyUsers > 0 ? 2 : 0, 'w'),
      // At least one chat-card and one dialog-page password submit (users alternate), or a kind goes uncounted (NaN).
      calibrate: makeJourneyUsers(o.journeyUsers > 0 ? Math.max(2, o.journeyCalibration) : 0, 'c'),
      load: makeJourneyUsers(o.journeyUsers, 'l'),
    };
    const allJourneyUsers = [...journeyUsers.warmUp, ...journeyUsers.calibrate, ...journeyUsers.load];
    const demoDirectory = allJourneyUsers.length ? writeJourneyDirectory(workDir, allJourneyUsers) : undefined;
    let directoryEnv: Record<string, string> | undefined;
    if (o.journeyDirectory === 'slapd' && allJourneyUsers.length) {
      say('starting slapd');
      const started = await startJourneySlapd(demoDirectory!);
      slapd = started.slapd;
      directoryEnv = started.env;
    }
    const redisVersion = /redis_version:(\S+)/.exec(await probe.info('server'))?.[1] ?? 'unknown';
    const profDir = o.cpuProfDir;
    // 1. Start-up as npm start runs it (before anything else loads the machine).
    let startup: StartupResult | null = null;
    if (o.startup) {
      say('measuring start-up');
      startup = await machine.phase('start-up', () => measureStartup(redisServer.url, o.startupRuns));
    }

    say('starting servers');
    const baseline = await ServerProcess.start({ target: 'baseline', logLevel: o.logLevel, nodeFlags: o.baselineNodeFlags, ...(profDir ? { cpuProfDir: profDir } : {}) });
    servers.push(baseline);
    const app = await ServerProcess.start({
      target: 'app',
      redisUrl: redisServer.url,
      logLevel: o.logLevel,
      nodeFlags: o.appNodeFlags,
      ...(profDir ? { cpuProfDir: profDir } : {}),
      ...(demoDirectory ? { demoDirectory } : {}),
      ...(directoryEnv ? { directoryEnv } : {}),
      ...(o.appLog ? { appLog: o.appLog } : {}),
    });
    servers.push(app);
    const maxSockets = Math.max(o.conversations, Math.ceil(o.openRate / 2), 8);
    const baselineClient = new BotClient(baseline.baseUrl, maxSockets);
    const appClient = new BotClient(app.baseUrl, maxSockets);
    clients.push(baselineClient, appClient);

    // 2. App, calibration: one conversation, sequential turns, nothing else talking to Redis.
    say('app calibration');
    const [cal] = makeConversations(1, 'k');
    await appClient.post(greeting(cal!));
    for (let i = 0; i < 5; i++) await appClient.post(nextTurn(cal!));
    const calStats0 = await app.stats();
    const calSnap0 = await snapshot(probe);
    for (let i = 0; i < o.calibrationTurns; i++) await appClient.post(nextTurn(cal!));
    const calSnap1 = await snapshot(probe);
    const calStats1 = await app.stats();
    const calDelta = delta(calSnap0, calSnap1);
    const monitorSample: string[] = [];
    const perKind = new Map<string, number[]>();
    const monitorClient = redisServer.client();
    await monitorDuring(monitorClient, async (mark) => {
      for (let i = 0; i < Math.max(5, o.calibrationTurns); i++) {
        const kind = nextTurnKind(cal!);
        const w0 = (await app.stats()).redisWrites;
        await appClient.post(nextTurn(cal!));
        const w1 = (await app.stats()).redisWrites;
        await new Promise((r) => setTimeout(r, 30));
        perKind.set(kind, [...(perKind.get(kind) ?? []), w1 - w0]);
        const cmds = mark()
          .filter((c) => !c.fromScript)
          .map((c) => (c.key ? `${c.name}(${c.key})` : c.name))
          .join(' ');
        if (i < 5) monitorSample.push(`${kind} [${w1 - w0} round trips]: ${cmds}`);
      }
    }).finally(() => monitorClient.disconnect());

    // 3. Closed loop: rounds alternating baseline and app.
    say('warm-up');
    const baseConvs = makeConversations(o.conversations, 'b');
    const appConvs = makeConversations(o.conversations, 'a');
    const mem0 = (await snapshot(probe)).usedMemory;
    await warmUp(baselineClient, baseConvs, o.warmupTurns);
    await warmUp(appClient, appConvs, o.warmupTurns);
    const baseRounds: LoadResult[] = [];
    const appRounds: LoadResult[] = [];
    const baseSamples: number[] = [];
    const appSamples: number[] = [];
    let baseCpu = 0;
    let appCpu = 0;
    let appWrites = 0;
    const loadDeltas: RedisDelta[] = [];
    let lastSnap = await snapshot(probe);
    await machine.phase('closed loop', async () => {
    for (let r = 1; r <= o.rounds; r++) {
      const b0 = (await baseline.stats()).cpuMicros;
      baseRounds.push(await closedLoop(baselineClient, baseConvs, o.turnsPerConversation, o.closedMaxSeconds * 1000, progress(`round ${r}/${o.rounds} baseline closed loop`), baseSamples));
      baseCpu += (await baseline.stats()).cpuMicros - b0;
      const a0 = await app.stats();
      const s0 = await snapshot(probe);
      appRounds.push(await closedLoop(appClient, appConvs, o.turnsPerConversation, o.closedMaxSeconds * 1000, progress(`round ${r}/${o.rounds} app closed loop`), appSamples));
      lastSnap = await snapshot(probe);
      const a1 = await app.stats();
      appCpu += a1.cpuMicros - a0.cpuMicros;
      appWrites += a1.redisWrites - a0.redisWrites;
      loadDeltas.push(delta(s0, lastSnap));
    }
    });
    const loadDelta = sumDeltas(loadDeltas);
    const baseClosed = mergeRounds(baseRounds, baseSamples);
    const appClosed = mergeRounds(appRounds, appSamples);
    say('measuring Redis memory');
    const keys = await keyUsage(probe);
    // The closed-loop users plus the calibration user have state at this point.
    const conversationsWithState = o.conversations + 1;
    const memDelta = lastSnap.usedMemory - mem0;

    // 4. Open loop at a fixed rate.
    let openApp: BenchResult['open']['app'] = null;
    let openBase: BenchResult['open']['baseline'] = null;
    if (o.openRate > 0) {
      say('open-loop warm-up');
      const openConvs = makeConversations(o.conversations, 'o');
      await warmUp(appClient, openConvs, 1);
      const openBaseConvs = makeConversations(o.conversations, 'p');
      if (o.openBaseline) await warmUp(baselineClient, openBaseConvs, 1);
      // Slices alternating app and baseline, so a burst of other load on the machine hits both, not one of them.
      const slices = o.openBaseline ? Math.max(1, o.openSlices) : 1;
      const sliceMs = (o.openSeconds * 1000) / slices;
      const appSlices: OpenResult[] = [];
      const baseSlices: OpenResult[] = [];
      const appOpenSamples: number[] = [];
      const baseOpenSamples: number[] = [];
      await machine.phase('open loop', async () => {
      for (let i = 1; i <= slices; i++) {
        appSlices.push(await openLoopWithServer(app, () => openLoop(appClient, openConvs, o.openRate, sliceMs, progress(`open loop ${o.openRate}/s, slice ${i}/${slices}, app`), appOpenSamples)));
        if (o.openBaseline) {
          baseSlices.push(await openLoopWithServer(baseline, () => openLoop(baselineClient, openBaseConvs, o.openRate, sliceMs, progress(`open loop ${o.openRate}/s, slice ${i}/${slices}, baseline`), baseOpenSamples)));
        }
      }
      });
      openApp = mergeOpen(appSlices, appOpenSamples);
      openBase = baseSlices.length ? mergeOpen(baseSlices, baseOpenSamples) : null;
    }

    // 5. Journeys: register two methods, reset with them.
    let journeys: JourneyResult | null = null;
    if (o.journeyUsers > 0) {
      const journeyClient = new BotClient(app.baseUrl, Math.max(o.journeyUsers, 8));
      clients.push(journeyClient);
      journeys = await machine.phase('journeys', () => runJourneyScenario(
        { app, client: journeyClient, probe, monitor: extraClient(redisServer.client()), serviceUrl: connector.url, keyPrefix: 'sspr:', ...(o.onProgress ? { onProgress: o.onProgress } : {}) },
        journeyUsers,
      ));
      journeys.directory = slapd ? 'slapd' : 'demo';
      if (slapd) {
        // The reset reached OpenLDAP: users whose journey's new password now binds.
        let bound = 0;
        for (const u of allJourneyUsers) if (await slapd.canBind(u.upn, u.newPassword)) bound++;
        journeys.passwordsSetInDirectory = bound;
      }
    }

    const keysAfterJourneys = journeys ? await keyUsage(probe) : null;

    // 6. argon2 under load: N verifications at once in the app, cheap turns at 20/s meanwhile.
    let hashing: BenchResult['hashing'] = null;
    let hashingProblem: string | null = null;
    if (o.hashVerifications > 0) {
      say(`${o.hashVerifications} parallel argon2 verifications`);
      const convs = makeConversations(4, 'h');
      await warmUp(appClient, convs, 1);
      let done = false;
      await machine.phase('argon2', async () => {
      const load = app.hashLoad(o.hashVerifications).finally(() => (done = true));
      // Awaited after the sending loop; until then a rejection (the 300 s timeout on a starved machine) must not
      // count as unhandled and end the whole bench without a report.
      load.catch(() => undefined);
      const samples: number[] = [];
      const problems = new Set<string>();
      let errors = 0;
      const t = performance.now();
      const inFlight: Promise<void>[] = [];
      for (let i = 0; !done; i++) {
        const scheduled = t + i * 50;
        await new Promise((r) => setTimeout(r, Math.max(0, scheduled - performance.now())));
        if (done) break;
        inFlight.push(
          appClient.post(nextTurn(convs[i % convs.length]!)).then((out) => {
            samples.push(performance.now() - scheduled);
            if (!out.ok) {
              errors++;
              problems.add(out.problem ?? 'unknown');
            }
          }),
        );
      }
      await Promise.all(inFlight);
      try {
        const { type: _t, ...h } = await load;
        hashing = { ...h, turnsDuring: result(samples, errors, problems, performance.now() - t) };
      } catch (e) {
        hashingProblem = e instanceof Error ? e.message : String(e);
      }
      });
    }
    const dedupeBytesPerMark = keys.dedupeKeys ? Math.round(keys.dedupeBytes / keys.dedupeKeys) : 0;
    const dedupeWindowSeconds = (keysAfterJourneys ?? keys).dedupeWindowSeconds;
    const memory: BenchResult['memory'] = {
      bytesPerIdleConversation: Math.round(keys.conversationBytes / conversationsWithState),
      bytesPerRegisteredUser: keysAfterJourneys && allJourneyUsers.length ? Math.round(keysAfterJourneys.journeyBytes / allJourneyUsers.length) : null,
      dedupeBytesPerMark,
      dedupeWindowSeconds,
      steadyTurnsPerSecond: STEADY_TURNS_PER_SECOND,
      dedupeBytesAtSteadyRate: dedupeBytesPerMark * STEADY_TURNS_PER_SECOND * dedupeWindowSeconds,
    };

    const throughputRatio = round(appClosed.turnsPerSecond / baseClosed.turnsPerSecond);
    const roundRatios = appRounds.map((a, i) => round(a.turnsPerSecond / (baseRounds[i]?.turnsPerSecond ?? Number.NaN)));
    const calTurns = o.calibrationTurns;
    const clientRoundTripsPerTurn = round((calStats1.redisWrites - calStats0.redisWrites) / calTurns);
    const targets = issue15Targets({
      o,
      throughputRatio,
      roundRatios,
      openApp,
      openBase,
      clientRoundTripsPerTurn,
      memory,
      hashing,
      hashingProblem,
      startup,
      journeys,
      machine: machine.phases,
    });

    const { onProgress: _omit, ...options } = o;
    return {
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(performance.now() - t0),
      environment: {
        node: process.version,
        redis: redisVersion,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        commit: gitCommit(),
        loadAverage: { start: load0, end: round(loadavg()[0] ?? 0) },
        phases: machine.phases,
      },
      options,
      closed: {
        baseline: { ...baseClosed, serverCpuMsPerTurn: round(baseCpu / 1000 / baseClosed.turns, 3) },
        app: { ...appClosed, serverCpuMsPerTurn: round(appCpu / 1000 / appClosed.turns, 3) },
        throughputRatio,
        roundRatios,
      },
      open: { app: openApp, baseline: openBase },
      redis: {
        calibration: {
          turns: calTurns,
          commandsPerTurn: round(calDelta.commands / calTurns),
          clientRoundTripsPerTurn,
          serverReadsPerTurn: round(calDelta.readsProcessed / calTurns),
          monitorSample,
          roundTripsByKind: Object.fromEntries([...perKind].map(([k, v]) => [k, round(v.reduce((a, b) => a + b, 0) / v.length)])),
          commandCalls: perTurn(calDelta, calTurns),
        },
        underLoad: {
          turns: appClosed.turns,
          commandsPerTurn: round(loadDelta.commands / appClosed.turns),
          clientRoundTripsPerTurn: round(appWrites / appClosed.turns),
          serverReadsPerTurn: round(loadDelta.readsProcessed / appClosed.turns),
          commandCallsPerTurn: perTurn(loadDelta, appClosed.turns),
        },
        bytesPerConversation: Math.round(keys.conversationBytes / conversationsWithState),
        usedMemoryDeltaPerConversation: Math.round(memDelta / o.conversations),
        dedupeBytesPerTurn: keys.dedupeKeys ? Math.round(keys.dedupeBytes / keys.dedupeKeys) : 0,
        keys,
      },
      memory,
      journeys,
      hashing,
      hashingProblem,
      startup,
      targets,
    };
  } finally {
    say('stopping');
    await connector.stop().catch(() => undefined);
    await slapd?.stop().catch(() => undefined);
    for (const c of extraClients) c.disconnect();
    rmSync(workDir, { recursive: true, force: true });
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    probe.disconnect();
    await redisServer.stop();
  }
}

interface TargetInputs {
  o: BenchOptions;
  throughputRatio: number;
  roundRatios: number[];
  openApp: BenchResult['open']['app'];
  openBase: BenchResult['open']['baseline'];
  clientRoundTripsPerTurn: number;
  memory: BenchResult['memory'];
  hashing: BenchResult['hashing'];
  hashingProblem: string | null;
  startup: StartupResult | null;
  journeys: JourneyResult | null;
  machine: readonly PhaseLoad[];
}

/** Issue 15's targets (and issue 2's round trips per cheap turn), one verdict each, in the issue's order. */
export function issue15Targets(x: TargetInputs): TargetVerdict[] {
  const { o, openApp, openBase, memory, hashing, startup, journeys } = x;
  const phase = (name: string): PhaseLoad | undefined => [...x.machine].reverse().find((p) => p.phase === name);
  const t: TargetVerdict[] = [];
  const closed = quietness(phase('closed loop'));
  t.push({
    target: 'cheap turns: closed-loop throughput ratio app/baseline',
    limit: `≥ ${TARGETS.minThroughputRatio}`,
    measured: String(x.throughputRatio),
    pass: x.throughputRatio >= TARGETS.minThroughputRatio,
    note: `median of ${x.roundRatios.length} alternating rounds (per round ${x.roundRatios.join(', ')}); ${closed.text}`,
  });
  if (openApp) {
    const open = quietness(phase('open loop'));
    if (openBase) {
      const ratio = round(openApp.latencyMs.p99 / openBase.latencyMs.p99);
      t.push({
        target: `cheap turns: open-loop p99 app/baseline at ${o.openRate} turns/s`,
        limit: `≤ ${TARGETS.maxOpenP99Ratio}`,
        measured: `${ratio} (${openApp.latencyMs.p99} / ${openBase.latencyMs.p99} ms)`,
        pass: ratio <= TARGETS.maxOpenP99Ratio,
        notQuiet: !open.quiet,
        note: `same run, ${o.openSlices} alternating slices; ${open.text}`,
      });
    }
    t.push({
      target: `cheap turns: open-loop p99 at ${o.openRate} turns/s`,
      limit: `≤ ${TARGETS.maxOpenP99Ms} ms`,
      measured: `${openApp.latencyMs.p99} ms`,
      pass: openApp.latencyMs.p99 <= TARGETS.maxOpenP99Ms,
      notQuiet: !open.quiet,
      note: `p50 ${openApp.latencyMs.p50}, p95 ${openApp.latencyMs.p95} ms; app server GC ${openApp.server.gcTotalMs} ms in ${openApp.server.gcCount} pauses, event-loop delay p99 ${openApp.server.eventLoopP99Ms} ms; ${open.text}`,
    });
  }
  t.push({
    target: 'cheap turns: Redis round trips per turn (issue 2)',
    limit: `≤ ${TARGETS.maxRoundTripsPerTurn}`,
    measured: String(x.clientRoundTripsPerTurn),
    pass: x.clientRoundTripsPerTurn <= TARGETS.maxRoundTripsPerTurn,
    note: 'calibration, exact',
  });
  if (journeys) {
    const counted = journeys.kinds.filter((k) => Number.isFinite(k.roundTripsMax));
    const over = counted.filter((k) => k.roundTripsMax > TARGETS.maxJourneyRoundTrips).sort((a, b) => b.roundTripsMax - a.roundTripsMax);
    const uncounted = journeys.kinds.filter((k) => !Number.isFinite(k.roundTripsMax)).map((k) => k.kind);
    const worst = over[0] ?? [...counted].sort((a, b) => b.roundTripsMax - a.roundTripsMax)[0];
    t.push({
      target: 'journeys: Redis round trips, every turn kind',
      limit: `≤ ${TARGETS.maxJourneyRoundTrips}`,
      measured: worst ? `worst ${worst.roundTripsMax} (${worst.kind})` : 'not counted',
      pass: worst !== undefined && over.length === 0 && uncounted.length === 0,
      note:
        (over.length ? `${over.length} of ${journeys.kinds.length} kinds over: ${over.map((k) => `${k.kind} ${k.roundTripsMax}`).join(', ')}` : `all ${counted.length} kinds within`) +
        (uncounted.length ? `; not counted: ${uncounted.join(', ')}` : '') +
        '; calibration, exact (max per kind)',
    });
  }
  const dedupeMb = round(memory.dedupeBytesAtSteadyRate / 1e6, 1);
  t.push({
    target: `dedupe marks at a steady ${memory.steadyTurnsPerSecond} turns/s`,
    limit: `≤ ${TARGETS.maxDedupeMb} MB`,
    measured: `${dedupeMb} MB`,
    pass: dedupeMb <= TARGETS.maxDedupeMb,
    note: `${memory.dedupeBytesPerMark} B per mark (measured) × ${memory.steadyTurnsPerSecond}/s × ${memory.dedupeWindowSeconds} s window (the marks' TTL in Redis)`,
  });
  t.push({ target: 'Redis bytes per idle conversation', limit: '—', measured: `${memory.bytesPerIdleConversation} B`, pass: null, note: 'MEMORY USAGE of its keys' });
  t.push({
    target: 'Redis bytes per registered user',
    limit: '—',
    measured: memory.bytesPerRegisteredUser === null ? 'not measured (no journeys)' : `${memory.bytesPerRegisteredUser} B`,
    pass: null,
    note: 'after a journey: two methods, codes, throttles, state',
  });
  if (x.hashingProblem) {
    t.push({
      target: `${o.hashVerifications} parallel argon2 verifications: app RSS peak`,
      limit: `< ${TARGETS.maxHashRssMib} MiB`,
      measured: 'not measured',
      pass: false,
      notQuiet: !quietness(phase('argon2')).quiet,
      note: `${x.hashingProblem}; ${quietness(phase('argon2')).text}`,
    });
  }
  if (hashing) {
    const mib = round(hashing.rssPeakBytes / 2 ** 20, 0);
    const q = quietness(phase('argon2'));
    t.push({
      target: `${hashing.count} parallel argon2 verifications: app RSS peak`,
      limit: `< ${TARGETS.maxHashRssMib} MiB`,
      measured: `${mib} MiB`,
      pass: mib < TARGETS.maxHashRssMib && hashing.correct === hashing.count,
      note: `before ${round(hashing.rssBeforeBytes / 2 ** 20, 0)} MiB; ≤ ${hashing.maxRunning} at once; ${hashing.correct}/${hashing.count} answered right; ${hashing.elapsedMs} ms`,
    });
    t.push({
      target: '… event-loop delay p99 meanwhile',
      limit: `≤ ${TARGETS.maxHashEventLoopP99Ms} ms`,
      measured: `${hashing.eventLoopDelayP99Ms} ms`,
      pass: hashing.eventLoopDelayP99Ms <= TARGETS.maxHashEventLoopP99Ms,
      notQuiet: !q.quiet,
      note: `max ${hashing.eventLoopDelayMaxMs} ms; cheap turns at 20/s meanwhile p99 ${hashing.turnsDuring.latencyMs.p99} ms, ${hashing.turnsDuring.errors} errors; ${q.text}`,
    });
  }
  if (startup) {
    const q = quietness(phase('start-up'));
    const runs = startup.samples.length;
    t.push({
      target: 'start to ready (npm start)',
      limit: `≤ ${TARGETS.maxStartToReadyMs / 1000} s`,
      measured: `${round(startup.startToReadyMs / 1000)} s`,
      pass: startup.startToReadyMs <= TARGETS.maxStartToReadyMs && startup.firstTurns.ok,
      notQuiet: !q.quiet,
      note:
        `${runs > 1 ? `median of the ${runs - 1} starts after the first` : 'one start'}: CPU ${startup.cpuToReadyMs} ms, waiting for a CPU ${startup.runQueueWaitMs} ms, code cache ${startup.codeCache}; ` +
        `first start after the build ${round(startup.first.startToReadyMs / 1000)} s (CPU ${startup.first.cpuToReadyMs} ms, waiting ${startup.first.runQueueWaitMs} ms); ` +
        `first turns ${startup.firstTurns.ok ? 'answered' : `FAILED (${startup.firstTurns.problem ?? '?'})`}; ${q.text}`,
    });
    const mb = round(startup.idleRssBytes / 1e6, 0);
    t.push({ target: 'idle RSS (npm start)', limit: `≤ ${TARGETS.maxIdleRssMb} MB`, measured: `${mb} MB`, pass: mb <= TARGETS.maxIdleRssMb, note: `3 s after ready, no traffic; first start ${round(startup.first.idleRssBytes / 1e6, 0)} MB` });
  }
  return t;
}
