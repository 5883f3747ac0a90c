/**
 * `npm run bench`: drives concurrent Teams conversations through the real HTTP endpoint of the app (with a private
 * redis-server) and through a bare botbuilder baseline, prints throughput, latency percentiles, Redis commands, round
 * trips and bytes, PASS/MISS per target, and writes bench-results/bench-<time>.json (+ latest.json).
 *
 * Flags: --conversations N (50) --turns N per conversation and round (20) --rounds N (3) --warmup N (4) --open-rate N turns/s (200, 0 = skip)
 * --open-seconds N (10) --open-slices N (5, alternating app/baseline) --no-open-baseline --calibration N (15) --closed-max-seconds N (20) --log-level L (info)
 * --journey-users N (200, 0 = skip the journey scenario) --journey-calibration N (2, at least 2: one chat-card and one dialog-page password submit) --journey-directory demo|slapd (demo)
 * --hash-verifications N (1000, 0 = skip) --no-startup --startup-runs N (3, median reported)
 * --app-node-flags "F…" / --baseline-node-flags "F…" (Node flags of the servers under test, e.g. GC settings)
 * --cpu-prof (V8 profiles of both servers into bench-results/profiles) --out FILE --strict (exit 1 on a MISS)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_BENCH_OPTIONS, runBench, type BenchOptions } from './bench/benchHarness';
import { formatReport } from './bench/report';

function parseArgs(argv: readonly string[]): { options: Partial<BenchOptions>; out?: string; strict: boolean } {
  const options: Partial<BenchOptions> = {};
  let out: string | undefined;
  let strict = false;
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a non-negative number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    switch (a) {
      case '--conversations': options.conversations = Math.max(1, Math.floor(num(a, v))); i++; break;
      case '--turns': options.turnsPerConversation = Math.max(1, Math.floor(num(a, v))); i++; break;
      case '--rounds': options.rounds = Math.max(1, Math.floor(num(a, v))); i++; break;
      case '--warmup': options.warmupTurns = Math.floor(num(a, v)); i++; break;
      case '--open-rate': options.openRate = num(a, v); i++; break;
      case '--open-seconds': options.openSeconds = num(a, v); i++; break;
      case '--closed-max-seconds': options.closedMaxSeconds = num(a, v); i++; break;
      case '--calibration': options.calibrationTurns = Math.max(1, Math.floor(num(a, v))); i++; break;
      case '--journey-users': options.journeyUsers = Math.floor(num(a, v)); i++; break;
      case '--journey-directory':
        if (v !== 'demo' && v !== 'slapd') throw new Error('--journey-directory is demo or slapd');
        options.journeyDirectory = v; i++; break;
      case '--journey-calibration': options.journeyCalibration = Math.max(1, Math.floor(num(a, v))); i++; break;
      case '--hash-verifications': options.hashVerifications = Math.floor(num(a, v)); i++; break;
      case '--app-log': options.appLog = resolve(v ?? 'bench-results/app.log'); i++; break;
      case '--no-startup': options.startup = false; break;
      case '--app-node-flags': options.appNodeFlags = (v ?? '').split(/\s+/).filter(Boolean); i++; break;
      case '--baseline-node-flags': options.baselineNodeFlags = (v ?? '').split(/\s+/).filter(Boolean); i++; break;
      case '--startup-runs': options.startupRuns = Math.max(1, Math.floor(num(a, v))); i++; break;
      case '--log-level': options.logLevel = v ?? 'info'; i++; break;
      case '--open-slices': options.openSlices = Math.max(1, Math.floor(num(a, v))); i++; break;
      case '--no-open-baseline': options.openBaseline = false; break;
      case '--cpu-prof': options.cpuProfDir = resolve('bench-results', 'profiles'); break;
      case '--out': out = v; i++; break;
      case '--strict': strict = true; break;
      case '--help':
      case '-h':
        process.stdout.write(`usage: npm run bench -- [--conversations ${DEFAULT_BENCH_OPTIONS.conversations}] [--turns ${DEFAULT_BENCH_OPTIONS.turnsPerConversation}] [--rounds ${DEFAULT_BENCH_OPTIONS.rounds}] [--open-rate ${DEFAULT_BENCH_OPTIONS.openRate}] [--open-seconds ${DEFAULT_BENCH_OPTIONS.openSeconds}] [--no-open-baseline] [--journey-users ${DEFAULT_BENCH_OPTIONS.journeyUsers}] [--cpu-prof] [--log-level info] [--out file.json] [--strict]\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown flag ${a ?? ''} (try --help)`);
    }
  }
  return { options, ...(out ? { out } : {}), strict };
}

async function main(): Promise<void> {
  const { options, out, strict } = parseArgs(process.argv.slice(2));
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  const result = await runBench({
    ...options,
    onProgress: (phase, done, total) => {
      const text = total > 0 ? `${phase}: ${done}/${total} turns` : `${phase}…`;
      if (tty) process.stderr.write(`\r\x1b[K${text}`);
      else if (total === 0 || Date.now() - lastLine >= 1000 || done === total) {
        process.stderr.write(`${text}\n`);
        lastLine = Date.now();
      }
    },
  });
  if (tty) process.stderr.write('\r\x1b[K');
  const dir = resolve('bench-results');
  mkdirSync(dir, { recursive: true });
  const file = out ? resolve(out) : join(dir, `bench-${result.startedAt.replace(/[:.]/g, '-')}.json`);
  const json = JSON.stringify(result, null, 2);
  writeFileSync(file, json);
  writeFileSync(join(dir, 'latest.json'), json);
  process.stdout.write(`result written to ${file}\n`);
  // Last: the report, ending with the PASS/MISS table of every target (Markdown, for docs/benchmark.md).
  process.stdout.write(formatReport(result));
  if (strict && result.targets.some((t) => t.pass === false)) process.exitCode = 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
