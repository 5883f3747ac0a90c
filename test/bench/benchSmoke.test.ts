import { runBench, type BenchResult } from '../../scripts/bench/benchHarness';
import { formatReport } from '../../scripts/bench/report';

/**
 * Keeps `npm run bench` from rotting: runs the real harness (private redis-server, the app and the baseline in child
 * processes, closed and open loop, Redis probes) with a handful of turns. No performance target is asserted — only
 * that every phase ran, turns were answered without errors and the measurements are present and plausible.
 */
describe('benchmark harness (smoke)', () => {
  let result: BenchResult;

  beforeAll(async () => {
    result = await runBench({
      conversations: 2,
      turnsPerConversation: 5,
      rounds: 1,
      warmupTurns: 1,
      calibrationTurns: 5,
      openRate: 10,
      openSeconds: 1,
      openBaseline: false,
      logLevel: 'silent',
      journeyUsers: 2,
      journeyCalibration: 2,
      hashVerifications: 10,
      startup: true,
      startupRuns: 2,
    });
  }, 300_000);

  test('R26 bench: closed loop against baseline and app answers every turn', () => {
    expect(result.closed.baseline.turns).toBe(10);
    expect(result.closed.app.turns).toBe(10);
    expect(result.closed.baseline.errors).toBe(0);
    expect(result.closed.app.errors).toBe(0);
    expect(result.closed.throughputRatio).toBeGreaterThan(0);
    expect(result.closed.app.latencyMs.p99).toBeGreaterThan(0);
  });

  test('R26 bench: open loop sends the scheduled number of turns and measures latency', () => {
    expect(result.open.app?.turns).toBe(10);
    expect(result.open.app?.errors).toBe(0);
    expect(result.open.baseline).toBeNull();
  });

  test('R26 bench: Redis commands, round trips and bytes are measured from the private server', () => {
    const cal = result.redis.calibration;
    expect(cal.commandsPerTurn).toBeGreaterThan(0);
    // The lock script and its release are at least two round trips of every turn.
    expect(cal.clientRoundTripsPerTurn).toBeGreaterThanOrEqual(2);
    expect(cal.serverReadsPerTurn).toBeGreaterThanOrEqual(2);
    expect(cal.commandCalls.evalsha).toBeGreaterThan(0);
    expect(cal.monitorSample.join('\n')).toContain('evalsha(sspr:lock:');
    expect(result.redis.bytesPerConversation).toBeGreaterThan(0);
    expect(result.redis.keys.conversationKeys).toBeGreaterThan(0);
  });

  test('R24 bench: memory at scale — bytes per idle conversation, per registered user, dedupe total from the measured window', () => {
    const m = result.memory;
    expect(m.bytesPerIdleConversation).toBeGreaterThan(0);
    expect(m.bytesPerRegisteredUser).toBeGreaterThan(m.bytesPerIdleConversation);
    expect(m.dedupeBytesPerMark).toBeGreaterThan(0);
    // Read from the marks' TTL in Redis, not assumed: the app's 10-minute window.
    expect(m.dedupeWindowSeconds).toBe(600);
    expect(m.dedupeBytesAtSteadyRate).toBe(m.dedupeBytesPerMark * 50 * 600);
  });

  test('R26 bench: journey scenario — 2 users register an authenticator and an e-mail, then reset with both', () => {
    const j = result.journeys!;
    // The two calibration journeys (one at a time; a failure there fails the bench) went through every turn kind:
    // one set the password in the chat card, the other in the dialog page (pages API).
    for (const k of j.kinds) {
      // Each turn takes the lock, so at least one round trip.
      expect(k.roundTripsMax).toBeGreaterThanOrEqual(1);
      expect(k.serverCpuMs).toBeGreaterThan(0);
    }
    expect(j.calibration.monitorSample.join('\n')).toContain('reset: TOTP check');
    // Under load the product fails closed when Redis answers slower than its 800 ms command timeout (F7) — on this
    // shared 2-CPU machine that happens; such a journey is counted as failed with the bot's error message, nothing else.
    expect(j.completed + j.failed).toBe(2);
    expect(j.completed).toBeGreaterThanOrEqual(1);
    for (const p of j.problems) expect(p).toMatch(/: (bot error message|HTTP 503 temporarily_unavailable)$/);
    const byKind = new Map(j.kinds.map((k) => [k.kind, k]));
    expect(byKind.get('greeting')?.turns).toBe(2);
    expect(j.journeysPerSecond).toBeGreaterThan(0);
    expect(j.serverCpuMsPerJourney).toBeGreaterThan(0);
  });

  test('R13 bench: parallel argon2 verifications in the app — all answered right, bounded, RSS and event-loop delay measured', () => {
    const h = result.hashing!;
    expect(h.count).toBe(10);
    expect(h.correct).toBe(10);
    expect(h.maxRunning).toBeGreaterThanOrEqual(1);
    expect(h.maxRunning).toBeLessThanOrEqual(2);
    expect(h.rssPeakBytes).toBeGreaterThanOrEqual(h.rssBeforeBytes);
    expect(h.eventLoopDelayMaxMs).toBeGreaterThan(0);
    expect(h.turnsDuring.errors).toBe(0);
  });

  test('bench: start-up of the app as npm start runs it — ready, phases, code cache and idle RSS measured', () => {
    const s = result.startup!;
    expect(s.startToReadyMs).toBeGreaterThan(0);
    expect(s.cpuToReadyMs).toBeGreaterThan(0);
    expect(s.runQueueWaitMs).toBeGreaterThanOrEqual(0);
    expect(s.samples).toHaveLength(2);
    // The first start after the build has no code cache and writes one; the second is compiled from it.
    expect(s.first.codeCache).toBe('none');
    expect(s.samples[1]!.codeCache).toBe('used');
    // The app's own marks, in order, from its "listening" log line.
    const phases = s.phases.map((p) => p.phase);
    expect(phases.slice(0, 2)).toEqual(['modules', 'config']);
    expect(phases).toContain('listening');
    for (let i = 1; i < s.phases.length; i++) expect(s.phases[i]!.ms).toBeGreaterThanOrEqual(s.phases[i - 1]!.ms);
    expect(s.entry).toMatch(/^node (\S+ )*(dist\/bundle\/server\.js|.*bench-results\/startup\/server\.js)/);
    expect(s.idleRssBytes).toBeGreaterThan(20 * 2 ** 20);
    // The built server (the bundle npm start runs) answers a greeting and starts a dialog, not only /readyz.
    expect(s.firstTurns).toMatchObject({ ok: true });
  });

  test('R26 bench: report ends with one Markdown table, a verdict per target (none asserted)', () => {
    const n = result.targets.length;
    const names = result.targets.map((t) => t.target);
    for (const name of ['cheap turns: closed-loop throughput ratio app/baseline', 'journeys: Redis round trips, every turn kind', 'dedupe marks at a steady 50 turns/s', 'Redis bytes per idle conversation', 'Redis bytes per registered user', '10 parallel argon2 verifications: app RSS peak', 'start to ready (npm start)', 'idle RSS (npm start)'])
      expect(names).toContain(name);
    const text = formatReport(result);
    const table = text.slice(text.lastIndexOf('| target | limit | measured | verdict | notes |'));
    expect(table.match(/^\| .+ \| (\*\*PASS\*\*|\*\*MISS\*\*|reported)( \(not quiet\))? \| .* \|$/gm)).toHaveLength(n);
    expect(text.trimEnd().endsWith(table.trimEnd())).toBe(true);
    expect(text).toContain('throughput ratio');
    expect(text).toContain('reset: password submit (pages API)');
  });
});

/** The journey scenario's slapd option (issue 15 item 1): the same journeys with the app on DIRECTORY=ldap. */
describe('benchmark harness (smoke, journeys against slapd)', () => {
  let result: BenchResult;

  beforeAll(async () => {
    result = await runBench({
      conversations: 1,
      turnsPerConversation: 1,
      rounds: 1,
      warmupTurns: 0,
      calibrationTurns: 5,
      openRate: 0,
      logLevel: 'silent',
      journeyUsers: 2,
      journeyCalibration: 2,
      journeyDirectory: 'slapd',
      hashVerifications: 0,
      startup: false,
    });
  }, 300_000);

  test('R26 bench: journeys against slapd — the resets reach OpenLDAP (the new passwords bind), every kind measured', () => {
    const j = result.journeys!;
    expect(j.directory).toBe('slapd');
    // Warm-up (2) and calibration (2) journeys must succeed, or the bench fails; the 2 under load may fail closed.
    expect(j.passwordsSetInDirectory).toBeGreaterThanOrEqual(4);
    // A journey counted as failed may still have set its password (e.g. the answer to the submit was lost).
    expect(j.passwordsSetInDirectory).toBeGreaterThanOrEqual(4 + j.completed);
    expect(j.passwordsSetInDirectory).toBeLessThanOrEqual(6);
    for (const k of j.kinds) expect(k.roundTripsMax).toBeGreaterThanOrEqual(1);
    expect(formatReport(result)).toContain('directory: slapd');
  });
});
