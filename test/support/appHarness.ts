import { Writable } from 'node:stream';
import { loadConfig } from '../../bot/config';
import { createApp, type App, type AppOverrides } from '../../bot/app';
import { createLogger } from '../../bot/logger';
import { recordTranscript } from './transcript';
import { CLUSTER_MODE, clusterClient } from './redisServer';

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

/**
 * The real app, in-process on a free loopback port, with an environment of the test's choosing. Under
 * `npm run test:cluster` a REDIS_URL names the seed node of the file's private Redis Cluster: the app then gets an
 * ioredis Cluster client on it (the app's own client is standalone-only), so every key it writes is routed by slot
 * and a key of one operation without the shared hash tag fails with CROSSSLOT (F20).
 */
export async function startApp(env: NodeJS.ProcessEnv = {}, overrides: AppOverrides = {}): Promise<RunningApp> {
  const config = loadConfig({ LOG_LEVEL: 'info', ...env });
  const cluster = CLUSTER_MODE && env.REDIS_URL && overrides.redis === undefined ? clusterClient(Number(new URL(env.REDIS_URL).port), { commandTimeoutMs: 800 }) : null;
  if (cluster) overrides = { ...overrides, redis: cluster };
  const logs = new LogCapture();
  // R35: what the bot sends through the development channel goes to the run's transcript too.
  const devTranscript = overrides.devTranscript ?? ((e: { op: 'post' | 'put'; id: string; activity: Record<string, unknown> }) => recordTranscript('devchat', e.op, e.activity, e.id));
  const app = await createApp(config, createLogger(config.logLevel, logs), { ...overrides, devTranscript });
  // PORT given: listen there (the page URLs the bot builds, http://localhost:<PORT>, then point at this server).
  const port = await app.listen(env.PORT ? Number(env.PORT) : 0, '127.0.0.1');
  return {
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    logs,
    close: async () => {
      await app.close(2000);
      cluster?.disconnect();
    },
  };
}
