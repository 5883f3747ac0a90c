import type { BenchResult } from './benchHarness';
import type { LoadResult } from './loadGenerator';

const pad = (s: string, n: number): string => s + ' '.repeat(Math.max(0, n - s.length));
const lpad = (s: string, n: number): string => ' '.repeat(Math.max(0, n - s.length)) + s;

function row(name: string, r: LoadResult | null, extra = ''): string {
  if (!r) return `${pad(name, 28)} (skipped)`;
  const l = r.latencyMs;
  return (
    pad(name, 28) +
    lpad(String(r.turns), 7) +
    lpad(r.turnsPerSecond.toFixed(1), 10) +
    lpad(l.p50.toFixed(2), 9) +
    lpad(l.p95.toFixed(2), 9) +
    lpad(l.p99.toFixed(2), 9) +
    lpad(l.max.toFixed(2), 9) +
    lpad(String(r.errors), 8) +
    (extra ? `  ${extra}` : '')
  );
}

/** The journey scenario's section of the report. */
function journeyLines(r: BenchResult): string[] {
  const j = r.journeys;
  if (!j) return ['', 'journeys: skipped (--journey-users 0)'];
  const head = pad('turn kind', 38) + pad('group', 17) + lpad('turns', 6) + lpad('p50 ms', 9) + lpad('p95 ms', 9) + lpad('p99 ms', 9) + lpad('errors', 7) + lpad('Redis RT', 9) + lpad('CPU ms', 8);
  const kindRow = (name: string, group: string, turns: number, l: { p50: number; p95: number; p99: number }, errors: string, rt: string, cpu: number): string =>
    pad(name, 38) + pad(group, 17) + lpad(String(turns), 6) + lpad(l.p50.toFixed(2), 9) + lpad(l.p95.toFixed(2), 9) + lpad(l.p99.toFixed(2), 9) + lpad(errors, 7) + lpad(rt, 9) + lpad(cpu.toFixed(2), 8);
  return [
    '',
    `Journeys: ${j.users} users at once, each registers an authenticator app and an e-mail address, then resets with both (even users: chat password card; odd: dialog page, pages API); directory: ${j.directory === 'slapd' ? `slapd (OpenLDAP, ppolicy; new password binds afterwards for ${j.passwordsSetInDirectory ?? 0} users incl. warm-up and calibration)` : 'generated demo directory'}`,
    `  completed ${j.completed}, failed ${j.failed}${j.problems.length ? ` (${j.problems.join('; ')})` : ''}; ${j.journeysPerSecond} journeys/s over ${(j.elapsedMs / 1000).toFixed(1)} s; server CPU ${j.serverCpuMsPerJourney} ms per journey under load (${j.calibration.serverCpuMsPerJourney} ms in calibration)`,
    `  Redis round trips per journey: ${j.calibration.roundTripsPerJourney} (calibration, ${j.calibration.journeys} journeys one at a time), ${j.roundTripsPerJourneyUnderLoad} under load (client socket writes)`,
    `  per turn kind — latency under load; Redis RT = round trips per turn in calibration (mean, max); CPU = server CPU ms per turn in calibration`,
    `  ${head}`,
    ...j.kinds.map((k) => `  ${kindRow(k.kind, k.group, k.turns, k.latencyMs, String(k.errors), `${k.roundTrips}/${Number.isFinite(k.roundTripsMax) ? k.roundTripsMax : '-'}`, k.serverCpuMs)}`),
    '  MONITOR, first calibration journey (top-level commands with their first key; inside scripts left out; [round trips]):',
    ...j.calibration.monitorSample.map((x) => `    ${x}`),
    `  per group (the issue's turn kinds)`,
    ...j.groups.filter((g) => g.turns > 0).map((g) => `  ${kindRow(g.group, '', g.turns, g.latencyMs, '', `max ${g.roundTripsMax}`, g.serverCpuMs)}`),
  ];
}

/** Markdown table cells: no pipes or line breaks inside. */
const cell = (text: string): string => text.replace(/\|/g, '/').replace(/\s*\n\s*/g, ' ');

/**
 * The last thing printed: every target as one Markdown table, ready to paste into docs/benchmark.md ("Results").
 * A latency or time target measured while other work used the machine says so in its verdict ("not quiet").
 */
export function targetTable(r: BenchResult): string[] {
  const e = r.environment;
  const notQuiet = r.targets.some((t) => t.notQuiet);
  const verdict = (t: BenchResult['targets'][number]): string =>
    (t.pass === null ? 'reported' : t.pass ? '**PASS**' : '**MISS**') + (t.notQuiet && t.pass !== null ? ' (not quiet)' : '');
  return [
    `### Targets (issue 15) — ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC, commit ${e.commit}, Node ${e.node}, Redis ${e.redis}, ${e.cpus} CPUs`,
    '',
    `Load average ${e.loadAverage.start} at start, ${e.loadAverage.end} at end. ` +
      (notQuiet
        ? '**The machine was not quiet** during at least one latency or time measurement (other work on its CPUs, per phase below): those verdicts say "(not quiet)" and do not judge the product.'
        : 'Quiet during every latency and time measurement (other work ≤ 0.25 CPUs).'),
    `Per phase: ${e.phases.map((p) => `${p.phase} ${p.seconds} s — other work ${p.otherCpus} CPUs, bench ${p.benchCpus} CPUs, load ${p.loadAverage[0]} → ${p.loadAverage[1]}`).join('; ')}.`,
    '',
    '| target | limit | measured | verdict | notes |',
    '|---|---|---|---|---|',
    ...r.targets.map((t) => `| ${cell(t.target)} | ${cell(t.limit)} | ${cell(t.measured)} | ${verdict(t)} | ${cell(t.note ?? '')} |`),
    '',
  ];
}

/** Start-up: the reported run, its phases, and every run. */
function startupLines(s: NonNullable<BenchResult['startup']>): string[] {
  const sample = (x: typeof s.first): string =>
    `${x.startToReadyMs} ms (CPU ${x.cpuToReadyMs} ms, waiting for a CPU ${x.runQueueWaitMs} ms, code cache ${x.codeCache}, idle RSS ${Math.round(x.idleRssBytes / 1e6)} MB)`;
  let prev = { ms: 0, cpuMs: 0 };
  const phases = s.phases.map((p) => {
    const text = `${p.phase} +${p.ms - prev.ms} ms (CPU +${p.cpuMs - prev.cpuMs})`;
    prev = p;
    return text;
  });
  return [
    `start-up (${s.entry}): ready after ${sample(s)}; first two turns ${s.firstTurns.ok ? `answered in ${s.firstTurns.ms} ms` : `FAILED (${s.firstTurns.problem ?? '?'})`}`,
    `  phases (ms since the process started, CPU by then): ${phases.join(', ') || '-'}  (ready = listening; campaigns start after it)`,
    `  first start after the build (no code cache): ${sample(s.first)}`,
    `  every run: ${s.samples.map((x) => `${x.startToReadyMs}/${x.cpuToReadyMs}/${x.runQueueWaitMs}`).join(', ')} (ready / CPU / run-queue wait, ms)`,
  ];
}

/** The human-readable table printed at the end of `npm run bench`. */
export function formatReport(r: BenchResult): string {
  const e = r.environment;
  const c = r.redis.calibration;
  const u = r.redis.underLoad;
  const lines = [
    '',
    `Password Reset Assistant benchmark — ${r.startedAt}  (commit ${e.commit}, Node ${e.node}, Redis ${e.redis}, ${e.cpus} CPUs)`,
    `${r.options.conversations} conversations × ${r.options.turnsPerConversation} measured turns × ${r.options.rounds} rounds (closed loop, baseline and app alternating); open loop ${r.options.openRate} turns/s for ${r.options.openSeconds} s`,
    `load average (1 min) ${e.loadAverage.start} at start, ${e.loadAverage.end} at end` +
      (Math.max(e.loadAverage.start, e.loadAverage.end) > e.cpus * 0.5 ? '  ⚠ the machine was busy with other work: latencies and ratios are distorted' : ''),
    '',
    pad('load', 28) + lpad('turns', 7) + lpad('turns/s', 10) + lpad('p50 ms', 9) + lpad('p95 ms', 9) + lpad('p99 ms', 9) + lpad('max ms', 9) + lpad('errors', 8),
    row('closed  baseline (memory)', r.closed.baseline, `server CPU ${r.closed.baseline.serverCpuMsPerTurn} ms/turn`),
    row('closed  app (Redis)', r.closed.app, `server CPU ${r.closed.app.serverCpuMsPerTurn} ms/turn`),
    row(`open    app @${r.options.openRate}/s`, r.open.app, r.open.app ? `latency from scheduled send; max dispatch lag ${r.open.app.maxDispatchLagMs} ms` : ''),
    row(`open    baseline @${r.options.openRate}/s`, r.open.baseline),
    ...(['app', 'baseline'] as const).flatMap((k) => {
      const o = r.open[k];
      return o
        ? [`  open loop, ${k} server: ${o.server.gcCount} GC pauses (${o.server.gcMajorCount} major), ${o.server.gcTotalMs} ms in total, largest ${o.server.gcMaxMs} ms; event-loop delay p99 ${o.server.eventLoopP99Ms} ms, max ${o.server.eventLoopMaxMs} ms; CPU ${o.server.cpuMsPerTurn} ms/turn`]
        : [];
    }),
    '',
    `closed-loop turns/s per round: baseline ${r.closed.baseline.roundsTurnsPerSecond.join(', ')}; app ${r.closed.app.roundsTurnsPerSecond.join(', ')} (table shows the median)`,
    `throughput ratio app/baseline (closed loop, medians): ${r.closed.throughputRatio.toFixed(2)}   per round: ${r.closed.roundRatios.join(', ')}`,
    '',
    'Redis per turn (calibration: one conversation, sequential turns, nothing else on the connection)',
    `  commands (INFO commandstats, incl. those run inside scripts): ${c.commandsPerTurn}   ${JSON.stringify(c.commandCalls)}`,
    `  round trips: app client socket writes ${c.clientRoundTripsPerTurn}, Redis read events ${c.serverReadsPerTurn}`,
    `  round trips by turn kind: ${Object.entries(c.roundTripsByKind).map(([k, v]) => `${k} ${v}`).join('; ')}`,
    '  MONITOR (top-level commands with their first key; commands inside scripts left out):',
    ...c.monitorSample.map((s) => `    ${s}`),
    `Redis per turn under load (closed loop, ${u.turns} turns)`,
    `  commands ${u.commandsPerTurn}, client socket writes ${u.clientRoundTripsPerTurn}, Redis read events ${u.serverReadsPerTurn} (fewer when turns share a read)`,
    `Redis memory: ${r.redis.bytesPerConversation} B per conversation (MEMORY USAGE of its keys), used_memory delta ${r.redis.usedMemoryDeltaPerConversation} B per conversation incl. dedupe marks; dedupe mark ${r.redis.dedupeBytesPerTurn} B per turn (${r.memory.dedupeWindowSeconds} s)`,
    `  at scale: ${r.memory.bytesPerIdleConversation} B per idle conversation, ${r.memory.bytesPerRegisteredUser ?? '-'} B per registered user (after a journey: methods, codes, throttles, state), dedupe ${(r.memory.dedupeBytesAtSteadyRate / 1e6).toFixed(1)} MB at a steady ${r.memory.steadyTurnsPerSecond} turns/s (${r.memory.dedupeBytesPerMark} B × ${r.memory.steadyTurnsPerSecond}/s × ${r.memory.dedupeWindowSeconds} s)`,
    `  key shapes: ${Object.entries(r.redis.keys.shapes)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([k, n]) => `${k} ×${n}`)
      .join(', ')}`,
    ...journeyLines(r),
    '',
    r.hashing
      ? `argon2: ${r.hashing.count} verifications at once in the app: ${r.hashing.elapsedMs} ms, ≤ ${r.hashing.maxRunning} at once, RSS ${Math.round(r.hashing.rssBeforeBytes / 2 ** 20)} → peak ${Math.round(r.hashing.rssPeakBytes / 2 ** 20)} MiB, event-loop delay p99 ${r.hashing.eventLoopDelayP99Ms} ms (max ${r.hashing.eventLoopDelayMaxMs}); cheap turns at 20/s meanwhile: ${r.hashing.turnsDuring.turns} turns, p50 ${r.hashing.turnsDuring.latencyMs.p50} ms, p99 ${r.hashing.turnsDuring.latencyMs.p99} ms, ${r.hashing.turnsDuring.errors} errors`
      : 'argon2: skipped',
    ...(r.startup ? startupLines(r.startup) : []),
    ...(r.startup ? [] : ['start-up: skipped']),
    '',
    ...targetTable(r),
  ];
  return lines.join('\n');
}
