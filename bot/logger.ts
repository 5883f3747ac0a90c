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

export type { Logger };
