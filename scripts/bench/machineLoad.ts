import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/**
 * How busy the machine was with work other than the bench's own during a phase (issue 15: a latency target is only
 * judged on a quiet machine). The load average counts the bench's own processes too (at 200 turns/s the app, the
 * baseline, the generator and Redis keep ≈ 1–2 CPUs busy themselves), so it cannot tell "quiet" on its own:
 * **other CPUs** = the machine's busy CPU time (/proc/stat) minus the CPU time of the bench's processes (this process
 * and its exited children, the server processes, redis-server), divided by the phase's wall time.
 */
export interface PhaseLoad {
  phase: string;
  seconds: number;
  /** 1-minute load average at the start and end of the phase. */
  loadAverage: [number, number];
  /** Average number of CPUs busy with other work during the phase. */
  otherCpus: number;
  /** Average number of CPUs the bench's own processes used. */
  benchCpus: number;
}

/** Other work above this many CPUs on average makes a phase "not quiet". */
export const QUIET_OTHER_CPUS = 0.25;

const HZ = 100; // USER_HZ of /proc on Linux

function machineBusyMs(): number {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  return (busy * 1000) / HZ;
}

function processCpuMs(pid: number, withChildren: boolean): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime stime cutime cstime = fields 14–17 (11–14 after the comm)
    const own = Number(fields[11]) + Number(fields[12]);
    const children = withChildren ? Number(fields[13]) + Number(fields[14]) : 0;
    return ((own + children) * 1000) / HZ;
  } catch {
    return 0; // exited: its time is in its parent's children time (or lost, for a daemon)
  }
}

const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;

export class MachineLoad {
  readonly phases: PhaseLoad[] = [];

  /** `pids`: the bench's other processes now (servers, redis-server); this process and its children always count. */
  constructor(private readonly pids: () => ReadonlyArray<number | undefined>) {}

  private ownMs(): number {
    let ms = processCpuMs(process.pid, true);
    for (const pid of this.pids()) if (pid) ms += processCpuMs(pid, false);
    return ms;
  }

  /** Runs `fn` as the phase `phase` and records the load around it. */
  async phase<T>(phase: string, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    const busy0 = machineBusyMs();
    const own0 = this.ownMs();
    const load0 = loadavg()[0] ?? 0;
    try {
      return await fn();
    } finally {
      const ms = Math.max(1, Date.now() - t0);
      const own = this.ownMs() - own0;
      const other = Math.max(0, machineBusyMs() - busy0 - own);
      this.phases.push({ phase, seconds: round(ms / 1000, 1), loadAverage: [round(load0), round(loadavg()[0] ?? 0)], otherCpus: round(other / ms), benchCpus: round(own / ms) });
    }
  }

  /** The recorded phase of that name (the last one). */
  of(phase: string): PhaseLoad | undefined {
    return [...this.phases].reverse().find((p) => p.phase === phase);
  }
}

/** "quiet" or "NOT QUIET: …" for a phase. */
export function quietness(p: PhaseLoad | undefined): { quiet: boolean; text: string } {
  if (!p) return { quiet: false, text: 'load not measured' };
  const quiet = p.otherCpus <= QUIET_OTHER_CPUS;
  const text = `other work ${p.otherCpus} CPUs, bench ${p.benchCpus} CPUs, load average ${p.loadAverage[0]} → ${p.loadAverage[1]}`;
  return { quiet, text: quiet ? `quiet (${text})` : `NOT QUIET (${text})` };
}
