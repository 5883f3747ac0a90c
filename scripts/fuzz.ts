import { runFuzz } from '../test/fuzz/fuzzer';

/**
 * `npm run fuzz` — the project's own fuzz run (issue 16): ≥ 100,000 seeded cases per seed against the real app in
 * this process, loopback only. Options: --seed N (repeatable; default 1 and 2), --cases N (default 100000),
 * --concurrency N. Exits 1 on any 5xx, internal error, unhandled rejection, broken connection, hang or a final
 * journey that no longer works, after writing the minimal reproducing case to test-artifacts/.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const all = (name: string): string[] => args.flatMap((a, i) => (a === `--${name}` && args[i + 1] ? [args[i + 1]!] : []));
  const seeds = all('seed').map(Number);
  const cases = Number(all('cases')[0] ?? 100_000);
  const concurrency = Number(all('concurrency')[0] ?? 8);
  let ok = true;
  for (const seed of seeds.length ? seeds : [1, 2]) {
    const report = await runFuzz({
      seed,
      cases,
      concurrency,
      onProgress: (done, r) => process.stdout.write(`  seed ${seed}: ${done} cases, 5xx ${r.fiveXx}, internal errors ${r.internalErrors}\n`),
    });
    const { failure, ...summary } = report;
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    const growth = report.memory.after.heapUsedMb - report.memory.before.heapUsedMb;
    const bad = !!failure || report.fiveXx > 0 || report.internalErrors > 0 || report.unhandledRejections > 0 || report.hangs > 0 || report.connectionErrors > 0 || !report.finalJourneyOk || growth > 50;
    if (failure) process.stdout.write(`FAILED at case ${failure.case.index} (${failure.case.kind}): HTTP ${failure.result.status}; minimal case in ${failure.file ?? '?'}\n`);
    process.stdout.write(`seed ${seed}: ${bad ? 'FAIL' : 'PASS'} — ${report.cases} cases in ${report.seconds} s, 5xx ${report.fiveXx}, internal errors ${report.internalErrors}, exits 0, hangs ${report.hangs}, heap ${report.memory.before.heapUsedMb} → ${report.memory.after.heapUsedMb} MB, RSS ${report.memory.before.rssMb} → ${report.memory.after.rssMb} MB\n`);
    ok &&= !bad;
  }
  process.exit(ok ? 0 : 1);
}

main().catch((e: unknown) => {
  process.stderr.write(`fuzz: ${e instanceof Error ? e.message : 'failed'}\n`);
  process.exit(1);
});
