import { spawn, type ChildProcess } from 'node:child_process';
import { sleep } from './redisServer';

/** An entry point (bot/index.ts, bot/worker/main.ts) running as its own process under tsx. */
export interface EntryProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  log(): string;
  readonly exit: Promise<number | null>;
}

/**
 * Starts entry points of the app as processes of their own, with the parent's environment plus `base` and each
 * call's `env`; `killAll()` (afterAll) SIGKILLs whichever still runs.
 */
export function entryProcesses(base: () => Record<string, string>): { start(entry: string, env: Record<string, string>, ready: string): Promise<EntryProcess>; killAll(): void } {
  const children: ChildProcess[] = [];
  return {
    /** Resolves when the process's log says `ready` (a pino message); throws when it exits or takes over 120 s. */
    async start(entry, env, ready) {
      const child = spawn(process.execPath, ['--import', 'tsx', entry], {
        env: { ...process.env, LOG_LEVEL: 'info', ...base(), ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      const deadline = Date.now() + 120_000;
      while (!out.includes(ready)) {
        if (child.exitCode !== null) throw new Error(`${entry} exited ${child.exitCode}\n${out}`);
        if (Date.now() > deadline) throw new Error(`${entry} did not start\n${out}`);
        await sleep(50);
      }
      return { child, log: () => out, exit };
    },
    killAll() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    },
  };
}
