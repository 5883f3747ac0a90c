import { runFuzz } from './fuzzer';

/**
 * Issue 16: the seeded slice of the project's fuzz suite that runs with `npm test` (the full run is `npm run fuzz`,
 * ≥ 100,000 cases per seed). The real app in this process, loopback only.
 */
test('R22/R26: 5,000 seeded fuzz cases (messages, raw bodies, pages API, ITSM API, Direct Line, verbs): no 5xx, no internal error, no hang, and a valid journey still works', async () => {
  const report = await runFuzz({ seed: 16, cases: 5000, concurrency: 8 });
  const { failure, ...summary } = report;
  if (failure) throw new Error(`fuzz case ${failure.case.index} (${failure.case.kind}) failed with HTTP ${failure.result.status}; minimal case: ${failure.file ?? '?'}\n${JSON.stringify(summary)}`);
  expect(report.cases).toBe(5000);
  expect(report.fiveXx).toBe(0);
  expect(report.internalErrors).toBe(0);
  expect(report.unhandledRejections).toBe(0);
  expect(report.hangs).toBe(0);
  expect(report.connectionErrors).toBe(0);
  expect(report.finalJourneyOk).toBe(true);
}, 300_000);
