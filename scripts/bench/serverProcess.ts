import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ChildMessage, HashLoadResult, ServerStats } from './benchServer';

export interface ServerProcessOptions {
  target: 'app' | 'baseline';
  redisUrl?: string;
  logLevel?: string;
  /** Write a V8 CPU profile of the server process into this directory (node --cpu-prof). */
  cpuProfDir?: string;
  /** A demo-directory file for the app (the journey scenario's users); default config/demo-directory.json. */
  demoDirectory?: string;
  /** Directory settings for the app's config instead of the demo directory (the roster still comes from demoDirectory). */
  directoryEnv?: Record<string, string>;
  /** Append the app's log lines to this file instead of discarding them. */
  appLog?: string;
  /** Extra Node flags for the server process (e.g. --trace-gc). */
  nodeFlags?: readonly string[];
}

/** A server under test in its own Node process (tsx loader), driven over IPC. */
export class ServerProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /** The server's process id (its CPU counts as the bench's own in the machine-load figures). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(o: ServerProcessOptions): Promise<ServerProcess> {
    const execArgv = ['--import', 'tsx'];
    // One directory per server and run: Node names the files itself (pid, thread), so the tsx loader's worker thread
    // does not overwrite the main thread's profile (the larger file is the main thread).
    if (o.cpuProfDir) execArgv.push('--cpu-prof', '--cpu-prof-dir', join(o.cpuProfDir, `${o.target}-${Date.now()}`));
    const args = ['--target', o.target, '--log-level', o.logLevel ?? 'info'];
    if (o.redisUrl) args.push('--redis-url', o.redisUrl);
    if (o.demoDirectory) args.push('--demo-directory', o.demoDirectory);
    if (o.directoryEnv) args.push('--directory-env', JSON.stringify(o.directoryEnv));
    if (o.appLog) args.push('--app-log', o.appLog);
    execArgv.push(...(o.nodeFlags ?? []));
    // BENCH_SERVER_STDOUT=inherit shows the servers' stdout (e.g. --trace-gc lines) on the bench's stderr.
    const stdout = process.env.BENCH_SERVER_STDOUT === 'inherit' ? process.stderr : 'ignore';
    const child = fork(join(__dirname, 'benchServer.ts'), args, { execArgv, stdio: ['ignore', stdout, 'pipe', 'ipc'] });
    child.setMaxListeners(0); // one listener per pending IPC request (hundreds of concurrent journey users)
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-4000);
    });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bench ${o.target} server did not start in 120 s\n${stderr}`)), 120_000);
      child.on('message', (m: ChildMessage) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve(m.port);
        } else if (m.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`bench ${o.target} server failed: ${m.message}`));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`bench ${o.target} server exited with ${code}\n${stderr}`));
      });
    });
    return new ServerProcess(child, port);
  }

  /** Counters of the server process (Redis socket writes, CPU time). */
  stats(reset = false): Promise<ServerStats> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bench server did not answer a stats request')), 5000);
      const onMessage = (m: ChildMessage): void => {
        if (m.type !== 'stats') return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(m);
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'stats', reset });
    });
  }

  /** Starts `count` parallel argon2 verifications in the app process; resolves when all answered. */
  hashLoad(count: number, timeoutMs = 300_000): Promise<HashLoadResult> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bench server did not finish the argon2 load')), timeoutMs);
      const onMessage = (m: ChildMessage): void => {
        if (m.type !== 'hashLoad' && m.type !== 'error') return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        if (m.type === 'error') reject(new Error(m.message));
        else resolve(m);
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'hashLoad', count });
    });
  }

  private outboxSeq = 0;

  /** The newest code the app's dev outbox holds for `to` (null when none), asked over IPC. */
  outboxCode(to: string): Promise<string | null> {
    const id = ++this.outboxSeq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bench server did not answer an outbox request')), 5000);
      const onMessage = (m: ChildMessage): void => {
        if (m.type !== 'outbox' || m.id !== id) return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(m.code);
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'outbox', id, to });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'close' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
