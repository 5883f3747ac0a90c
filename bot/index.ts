import { createApp } from './app';
import { runEntryPoint, startProcess, stopOnSignals } from './processLifecycle';
import { installUnhandledRejectionNet } from './processNet';
import { codeCacheState, startupDone, startupMark, startupPhases } from './startupPhases';

startupMark('modules');

/** Process entry point: parse config (fail fast), build the app, listen, shut down gracefully. */
async function main(): Promise<void> {
  const { config, logger } = startProcess();
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

  stopOnSignals(logger, 'shutting down', () => app.close(10_000));
}

runEntryPoint(main);
