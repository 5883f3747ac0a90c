import { performance } from 'node:perf_hooks';

/**
 * Issue 15 (start to ready ≤ 1.5 s): when each step of start-up finished, in ms since the process started
 * (`performance.now()` counts from the process's time origin, so the first mark also shows how long loading the
 * modules took), and the process's CPU time (user + system) by then — on a busy machine the gap between the two is
 * time spent waiting for a CPU. Logged once with the "listening" line; the bench prints it per phase.
 */
const marks: Array<{ phase: string; ms: number; cpuMs: number }> = [];

export function startupMark(phase: string): void {
  const cpu = process.cpuUsage();
  marks.push({ phase, ms: Math.round(performance.now()), cpuMs: Math.round((cpu.user + cpu.system) / 1000) });
}

/** Every phase in the order it finished: ms since the process started and CPU ms used by then. */
export function startupPhases(): ReadonlyArray<{ phase: string; ms: number; cpuMs: number }> {
  return marks;
}

/**
 * Start-up is over (listening, in-process workers started): tells the `npm start` loader (scripts/serverLoader.js),
 * when it runs this process without a code cache, that now is the moment to write one. Without the loader (tsx, tsc
 * output, tests) nothing happens.
 */
export function startupDone(): void {
  const hook = (globalThis as Record<symbol, unknown>)[Symbol.for('sspr.startup.done')];
  if (typeof hook === 'function') (hook as () => void)();
}

/** Whether this process was compiled from the loader's code cache: 'used', 'rejected', 'none', or undefined without the loader. */
export function codeCacheState(): string | undefined {
  const v = (globalThis as Record<symbol, unknown>)[Symbol.for('sspr.startup.codeCache')];
  return typeof v === 'string' ? v : undefined;
}
