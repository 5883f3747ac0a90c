import { randomBytes } from 'node:crypto';
import type { Counter } from 'prom-client';
import type { Logger } from './logger';

/**
 * The net under the process (issue 16): an unhandled promise rejection is logged with an incident id and counted,
 * and the process keeps serving. The root causes are still fixed where they are (lint forbids floating promises);
 * this only keeps one forgotten handler from being a denial of service. Only the error's name and its stack
 * without the message line are logged: a foreign error message may carry user or server data.
 */
export function installUnhandledRejectionNet(logger: Logger, counter: Pick<Counter, 'inc'>, proc: NodeJS.EventEmitter = process): () => void {
  const onRejection = (reason: unknown): void => {
    const incident = randomBytes(4).toString('hex');
    counter.inc();
    const err = reason instanceof Error ? { name: reason.name, stack: reason.stack?.split('\n').slice(1).join('\n') } : { type: typeof reason };
    logger.error({ incident, err }, 'unhandled promise rejection (kept serving)');
  };
  proc.on('unhandledRejection', onRejection);
  return () => void proc.off('unhandledRejection', onRejection);
}
