import { ConfigError, loadConfig, type Config } from './config';
import { createLogger, type Logger } from './logger';

/**
 * The start and stop both processes share (`npm start` = bot/index.ts, `npm run worker` = bot/worker/main.ts):
 * the configuration parsed before anything starts, the logger, and the signal handling.
 */

/** The configuration and its logger; a configuration that does not parse ends the process (exit 2, the reason on stderr). */
export function startProcess(): { config: Config; logger: Logger } {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  return { config, logger: createLogger(config.logLevel) };
}

/**
 * On the first SIGTERM or SIGINT: logs `message` with the signal, runs `close` (which bounds its own wait), then
 * exits 0, or 1 when closing failed. Later signals are ignored while it closes.
 */
export function stopOnSignals(logger: Logger, message: string, close: () => Promise<unknown>): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, message);
    close()
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** Runs the entry point; what escapes it ends the process (exit 1) with the error's message only. */
export function runEntryPoint(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    process.stderr.write(`fatal: ${e instanceof Error ? e.message : 'unknown error'}\n`);
    process.exit(1);
  });
}
