import { Writable } from 'node:stream';
import { loadConfig } from '../../bot/config';
import { createApp, type App, type AppOverrides } from '../../bot/app';
import { createLogger } from '../../bot/logger';
import { recordTranscript } from './transcript';

/** Captures every log line the app writes, so tests can scan logs for secrets (R15, R20). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

export interface RunningApp {
  app: App;
  baseUrl: string;
  logs: LogCapture;
  close(): Promise<void>;
}

/** The real app, in-process on a free loopback port, with an environment of the test's choosing. */
export async function startApp(env: NodeJS.ProcessEnv = {}, overrides: AppOverrides = {}): Promise<RunningApp> {
  const config = loadConfig({ LOG_LEVEL: 'info', ...env });
  const logs = new LogCapture();
  // R35: what the bot sends through the development channel goes to the run's transcript too.
  const devTranscript = overrides.devTranscript ?? ((e: { op: 'post' | 'put'; id: string; activity: Record<string, unknown> }) => recordTranscript('devchat', e.op, e.activity, e.id));
  const app = await createApp(config, createLogger(config.logLevel, logs), { ...overrides, devTranscript });
  // PORT given: listen there (the page URLs the bot builds, http://localhost:<PORT>, then point at this server).
  const port = await app.listen(env.PORT ? Number(env.PORT) : 0, '127.0.0.1');
  return { app, baseUrl: `http://127.0.0.1:${port}`, logs, close: () => app.close(2000) };
}
