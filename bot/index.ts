import { ConfigError, loadConfig } from './config';
import { createApp } from './app';
import { createLogger } from './logger';
import { installUnhandledRejectionNet } from './processNet';
import { codeCacheState, startupDone, startupMark, startupPhases } from './startupPhases';

startupMark('modules');

/** Process entry point: parse config (fail fast), build the app, listen, shut down gracefully. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel);
  startupMark('config');
  const app = await createApp(config, logger);
  startupMark('app');
  installUnhandledRejectionNet(logger, app.metrics.unhandledRejections);
  const port = await app.listen();
  startupMark('listening');
  // Development default: the campaign worker runs in this process too, so `npm start` shows reminders and alerts
  // (with Redis the BullMQ engine, without it the in-process one). Production runs `npm run worker` instead.
  if (config.campaigns.inProcess) {
    await app.campaigns.start();
    logger.info({ engine: config.redis.url ? 'bullmq' : 'in-process' }, 'campaigns running in this process');
    startupMark('campaigns');
  }
  logger.info(
    { port, startup: startupPhases(), codeCache: codeCacheState(), mode: config.mode, state: config.redis.url ? 'redis' : 'memory', directory: config.directory.kind, senders: config.senders.kind },
    `Password Reset Assistant listening on http://localhost:${port} (POST /api/messages)`,
  );
  if (config.keys.ephemeral && config.mode === 'development')
    logger.warn('development keys in use: generated on first start in DEV_KEYS_FILE (CODE_HMAC_KEYS / FIELD_ENCRYPTION_KEYS / AUDIT_PSEUDONYM_KEY not set)');
  startupDone();

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app
      .close(10_000)
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e: unknown) => {
  process.stderr.write(`fatal: ${e instanceof Error ? e.message : 'unknown error'}\n`);
  process.exit(1);
});
