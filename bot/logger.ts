import pino, { type Logger } from 'pino';

/**
 * Paths that could carry a secret or personal data. Message text and card values are never logged at all
 * (we log activity ids and types, not payloads); this list is the safety net for anything passed by mistake.
 */
export const REDACT_PATHS = [
  'password',
  'newPassword',
  'confirmPassword',
  'code',
  'otp',
  'answer',
  'answers',
  'token',
  'secret',
  'authorization',
  'text',
  'value',
  '*.password',
  '*.newPassword',
  '*.confirmPassword',
  '*.code',
  '*.otp',
  '*.answer',
  '*.answers',
  '*.token',
  '*.secret',
  '*.authorization',
  '*.text',
  '*.value',
  'req.headers.authorization',
  'req.headers.cookie',
  'activity.text',
  'activity.value',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { svc: 'sspr-bot' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}


/**
 * The logger restify itself writes to (R20, issue 16). restify logs whole objects on its own paths — the raw request
 * (headers, URL with its query) when a response cannot be formatted, a handler's returned value — around the product's
 * redaction. Its child serializes a request as method and route pattern only (a URL can carry an enrolment ticket),
 * an error as name and status, and never writes a value or body.
 */
export function restifyLogger(logger: Logger): Logger {
  const request = (r: unknown): Record<string, unknown> => {
    const req = r as { method?: unknown; route?: { path?: unknown }; getRoute?: () => { path?: unknown } | undefined } | undefined;
    let route: unknown;
    try {
      route = req?.route?.path ?? req?.getRoute?.()?.path;
    } catch {
      route = undefined;
    }
    return { method: typeof req?.method === 'string' ? req.method : undefined, route: typeof route === 'string' ? route : undefined };
  };
  const error = (e: unknown): Record<string, unknown> => {
    const err = e as { name?: unknown; statusCode?: unknown } | undefined;
    return { name: typeof err?.name === 'string' ? err.name : typeof e, statusCode: typeof err?.statusCode === 'number' ? err.statusCode : undefined };
  };
  const hidden = (): string => '[redacted]';
  return logger.child(
    { component: 'restify' },
    { serializers: { req: request, res: () => undefined, err: error, value: hidden, body: hidden, cause: hidden, info: hidden } },
  );
}

export type { Logger };
