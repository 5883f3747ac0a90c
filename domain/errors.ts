/**
 * Unexpected failures. Expected ones are values (`{ ok: false, reason }`), see architecture.md rule 9.
 * `code` is stable (logs, metrics, API answers); `expose` says whether the code may be shown to a caller.
 * The message never carries a secret or a user-supplied value.
 */
export type SsprErrorCode =
  | 'config_invalid'
  | 'state_unavailable'
  | 'state_conflict'
  | 'lock_timeout'
  | 'directory_unavailable'
  | 'directory_denied'
  | 'directory_not_found'
  | 'directory_timeout'
  | 'directory_throttled'
  | 'sender_failed'
  | 'crypto_failed'
  | 'invalid_input'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'internal';

export class SsprError extends Error {
  readonly code: SsprErrorCode;
  readonly expose: boolean;

  constructor(code: SsprErrorCode, message: string, options?: { cause?: unknown; expose?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SsprError';
    this.code = code;
    this.expose = options?.expose ?? false;
  }
}

export function isSsprError(e: unknown): e is SsprError {
  return e instanceof SsprError;
}

/** Result type for expected failures. */
export type Result<T, R extends string = string> = { ok: true; value: T } | { ok: false; reason: R; retryAt?: number };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const fail = <R extends string>(reason: R, retryAt?: number): { ok: false; reason: R; retryAt?: number } =>
  retryAt === undefined ? { ok: false, reason } : { ok: false, reason, retryAt };
