import type { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { BENCH_TENANT, type BotClient } from './loadGenerator';
import { GROUP_OF, JOURNEY_TURNS, JourneyFailed, runJourney, TURN_GROUPS, type JourneyDeps, type JourneyUser, type TurnGroup } from './journey';
import type { ServerProcess } from './serverProcess';
import { summarize, type LatencySummary } from './stats';
import { monitorDuring, type MonitoredCommand } from './redisProbe';

export interface JourneyKindResult {
  kind: string;
  group: TurnGroup;
  /** Under load (all users concurrently). */
  turns: number;
  errors: number;
  latencyMs: LatencySummary;
  /** Calibration (one user at a time, nothing else on the app's Redis connection): exact, mean and max per turn. */
  roundTrips: number;
  roundTripsMax: number;
  /** Calibration: server CPU (user + system) per turn, ms, mean. */
  serverCpuMs: number;
}

export interface JourneyGroupResult {
  group: TurnGroup;
  turns: number;
  latencyMs: LatencySummary;
  /** The largest per-turn count of any kind in the group (the target applies to every turn). */
  roundTripsMax: number;
  serverCpuMs: number;
}

export interface JourneyResult {
  /** The app's directory: the generated demo directory, or slapd (--journey-directory slapd). Set by the harness. */
  directory?: 'demo' | 'slapd';
  /** slapd only: journey users (warm-up, calibration and load) whose new password binds in OpenLDAP afterwards. */
  passwordsSetInDirectory?: number;
  users: number;
  completed: number;
  failed: number;
  /** Up to 5 distinct failures: "<turn kind>: <problem>". */
  problems: string[];
  elapsedMs: number;
  journeysPerSecond: number;
  /** Server CPU during the load phase ÷ completed journeys. */
  serverCpuMsPerJourney: number;
  /** App Redis socket writes during the load phase ÷ completed journeys (client round trips; exact). */
  roundTripsPerJourneyUnderLoad: number;
  calibration: {
    journeys: number;
    roundTripsPerJourney: number;
    serverCpuMsPerJourney: number;
    /** First calibration journey: per turn kind, the top-level commands MONITOR saw (first key, ids as <id>). */
    monitorSample: string[];
  };
  kinds: JourneyKindResult[];
  groups: JourneyGroupResult[];
}

export interface JourneyRunDeps {
  app: ServerProcess;
  client: BotClient;
  probe: Redis;
  serviceUrl: string;
  /** A spare connection for MONITOR during calibration (disconnected afterwards); none = no command listing. */
  monitor?: Redis;
  /** Key prefix of the app (config.redis.prefix). */
  keyPrefix: string;
  onProgress?: (phase: string, done: number, total: number) => void;
}

const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

/** The user's R10 send-gap window for e-mail codes (rate-limiter-flexible key: `<keyPrefix>:<key>`). */
const sendGapKey = (prefix: string, u: JourneyUser): string => `${prefix}rl:send-gap:{u:${BENCH_TENANT}:${u.objectId}}:email`;

/**
 * The journey scenario. `warmUp` users run first, unmeasured (JIT, lazily loaded password dictionaries); then
 * `calibrate` users one at a time with the server's counters read before and after every turn (exact Redis round
 * trips and CPU per turn kind, background work of the turn included: 60 ms of quiet after each answer); then `load`
 * users all at once (latency per turn kind, journeys/s, CPU per journey).
 */
export async function runJourneyScenario(
  d: JourneyRunDeps,
  users: { warmUp: readonly JourneyUser[]; calibrate: readonly JourneyUser[]; load: readonly JourneyUser[] },
): Promise<JourneyResult> {
  const say = (phase: string, done = 0, total = 0): void => d.onProgress?.(phase, done, total);
  const comeBackLater = async (u: JourneyUser): Promise<void> => {
    await d.probe.del(sendGapKey(d.keyPrefix, u));
  };
  const base: Omit<JourneyDeps, 'record'> = { client: d.client, outboxCode: (to) => d.app.outboxCode(to), serviceUrl: d.serviceUrl, comeBackLater };

  say('journey warm-up');
  for (const u of users.warmUp) await runJourney(u, { ...base, record: () => undefined });

  say('journey calibration');
  const calRoundTrips = new Map<string, number[]>();
  const calCpu = new Map<string, number[]>();
  const monitorSample: string[] = [];
  const c0 = await d.app.stats();
  let c1 = c0;
  const calibrate = async (mark: (() => MonitoredCommand[]) | null): Promise<void> => {
    for (const [i, u] of users.calibrate.entries()) {
      await runJourney(u, {
        ...base,
        record: () => undefined,
        around: async (kind, turn) => {
          mark?.();
          const s0 = await d.app.stats();
          const out = await turn();
          await sleep(60);
          const s1 = await d.app.stats();
          calRoundTrips.set(kind, [...(calRoundTrips.get(kind) ?? []), s1.redisWrites - s0.redisWrites]);
          calCpu.set(kind, [...(calCpu.get(kind) ?? []), (s1.cpuMicros - s0.cpuMicros) / 1000]);
          const seen = mark?.() ?? [];
          if (mark && (i === 0 || kind.includes('pages API'))) {
            const cmds = seen.filter((c) => !c.fromScript).map((c) => (c.key ? `${c.name}(${c.key})` : c.name));
            monitorSample.push(`${kind} [${s1.redisWrites - s0.redisWrites}]: ${cmds.join(' ')}`);
          }
          return out;
        },
      });
    }
    c1 = await d.app.stats();
  };
  if (d.monitor) {
    const m = d.monitor;
    await monitorDuring(m, (mark) => calibrate(mark)).finally(() => m.disconnect());
  } else {
    await calibrate(null);
  }
  // Sleeps and IPC are in the CPU delta too, but they cost next to nothing; the per-kind numbers exclude the 60 ms.
  const calJourneys = users.calibrate.length;

  const total = users.load.length * (JOURNEY_TURNS.length - 1);
  say(`journey load (${users.load.length} users at once)`, 0, total);
  const samples = new Map<string, number[]>();
  const errors = new Map<string, number>();
  const problems = new Set<string>();
  let turns = 0;
  const timer = setInterval(() => say(`journey load (${users.load.length} users at once)`, turns, total), 500);
  const l0 = await d.app.stats();
  const t0 = performance.now();
  let completed = 0;
  let failed = 0;
  await Promise.all(
    users.load.map(async (u) => {
      try {
        await runJourney(u, {
          ...base,
          record: (kind, ms, ok) => {
            turns++;
            samples.set(kind, [...(samples.get(kind) ?? []), ms]);
            if (!ok) errors.set(kind, (errors.get(kind) ?? 0) + 1);
          },
        });
        completed++;
      } catch (e) {
        failed++;
        problems.add(e instanceof JourneyFailed ? e.message : `unexpected: ${e instanceof Error ? e.message : String(e)}`);
      }
    }),
  );
  const elapsed = performance.now() - t0;
  const l1 = await d.app.stats();
  clearInterval(timer);
  say(`journey load (${users.load.length} users at once)`, turns, total);

  const kinds: JourneyKindResult[] = JOURNEY_TURNS.map(([kind, group]) => {
    const rt = calRoundTrips.get(kind) ?? [];
    return {
      kind,
      group,
      turns: samples.get(kind)?.length ?? 0,
      errors: errors.get(kind) ?? 0,
      latencyMs: summarize(samples.get(kind) ?? []),
      roundTrips: round(mean(rt)),
      roundTripsMax: rt.length ? Math.max(...rt) : Number.NaN,
      serverCpuMs: round(mean(calCpu.get(kind) ?? []), 3),
    };
  });
  const groups: JourneyGroupResult[] = TURN_GROUPS.map((group) => {
    const ks = kinds.filter((k) => k.group === group);
    const all = ks.flatMap((k) => samples.get(k.kind) ?? []);
    const cpu = ks.flatMap((k) => calCpu.get(k.kind) ?? []);
    return {
      group,
      turns: all.length,
      latencyMs: summarize(all),
      roundTripsMax: Math.max(...ks.map((k) => k.roundTripsMax).filter((n) => Number.isFinite(n))),
      serverCpuMs: round(mean(cpu), 3),
    };
  });
  void GROUP_OF;
  return {
    users: users.load.length,
    completed,
    failed,
    problems: [...problems].slice(0, 5),
    elapsedMs: Math.round(elapsed),
    journeysPerSecond: round(completed / (elapsed / 1000)),
    serverCpuMsPerJourney: completed ? round((l1.cpuMicros - l0.cpuMicros) / 1000 / completed, 1) : Number.NaN,
    roundTripsPerJourneyUnderLoad: completed ? round((l1.redisWrites - l0.redisWrites) / completed, 1) : Number.NaN,
    calibration: {
      journeys: calJourneys,
      roundTripsPerJourney: calJourneys ? round((c1.redisWrites - c0.redisWrites) / calJourneys, 1) : Number.NaN,
      serverCpuMsPerJourney: calJourneys ? round((c1.cpuMicros - c0.cpuMicros) / 1000 / calJourneys, 1) : Number.NaN,
      monitorSample,
    },
    kinds,
    groups,
  };
}
