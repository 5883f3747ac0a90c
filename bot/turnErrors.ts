import { isSsprError, type SsprErrorCode } from '../domain/errors';

/**
 * What the turn error handler logs about a failed turn (rule 10), and the error it judges by.
 *
 * botbuilder-dialogs wraps whatever a dialog step throws in a `DialogContextError` whose stack is its own; the real
 * cause is its `error`. The handler unwraps it, so the log shows the failing step's error with its stack, and an
 * `SsprError` (state_unavailable, lock_timeout) inside a dialog is answered as itself, not as "internal".
 *
 * The log never carries a foreign error's message (it may hold user or server data) nor the first line of its
 * stack (which repeats the message). The error's own code (ioredis `ECONNRESET`, our `SsprError` codes) goes under
 * `errorCode`: the logger redacts every field named `code`, because that name is what a one-time code travels under.
 */
export interface TurnFailure {
  /** The error the turn failed with, unwrapped from botbuilder's dialog wrapper. */
  readonly cause: unknown;
  /** The SsprError code of the cause, or 'internal'. */
  readonly code: SsprErrorCode;
  /** Fields for the log line. */
  readonly log: Record<string, unknown>;
}

interface DialogContextErrorShape extends Error {
  readonly error: unknown;
  readonly dialogContext?: { activeDialog?: unknown; parent?: unknown; stack?: unknown };
}

const isDialogContextError = (e: unknown): e is DialogContextErrorShape =>
  e instanceof Error && e.name === 'DialogContextError' && 'error' in e;

/**
 * An error's `code` as a log field, only when it looks like an identifier (`ECONNRESET`, `ERR_…`, `state_unavailable`):
 * starts with a letter, at most 64 word characters. A one-time code (digits only) never passes.
 */
export function errorCodeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(code) ? code : undefined;
}

/** The stack without its first line (the message). */
const frames = (e: Error): string | undefined => e.stack?.split('\n').slice(1).join('\n');

function describe(e: unknown): Record<string, unknown> {
  if (!(e instanceof Error)) return { name: typeof e };
  const errorCode = errorCodeOf(e);
  return {
    name: e.name,
    ...(isSsprError(e) ? { message: e.message } : {}),
    ...(errorCode ? { errorCode } : {}),
    stack: frames(e),
  };
}

/** Dialog ids and waterfall steps of the stack (never the dialogs' state: options and values stay out of the log). */
function dialogStackOf(w: DialogContextErrorShape): Record<string, unknown> {
  const ctx = w.dialogContext;
  const stack = Array.isArray(ctx?.stack)
    ? (ctx.stack as unknown[]).map((i) => {
        const inst = i as { id?: unknown; state?: { stepIndex?: unknown } } | null;
        return {
          id: typeof inst?.id === 'string' ? inst.id : null,
          ...(typeof inst?.state?.stepIndex === 'number' ? { step: inst.state.stepIndex } : {}),
        };
      })
    : [];
  return {
    activeDialog: typeof ctx?.activeDialog === 'string' ? ctx.activeDialog : null,
    parent: typeof ctx?.parent === 'string' ? ctx.parent : null,
    stack,
  };
}

export function describeTurnError(error: unknown): TurnFailure {
  let cause: unknown = error;
  let dialog: Record<string, unknown> | undefined;
  // DialogContext never wraps a DialogContextError twice, but a component dialog can rethrow one from inside
  // another context: take the innermost stack and cause.
  for (let depth = 0; depth < 4 && isDialogContextError(cause); depth++) {
    dialog = dialogStackOf(cause);
    if (!(cause.error instanceof Error)) break;
    cause = cause.error;
  }
  const code: SsprErrorCode = isSsprError(cause) ? cause.code : 'internal';
  const err = describe(cause);
  // A wrapper left in place carries botbuilder's own text ("A dialog with an id of … wasn't found"), no user data.
  if (isDialogContextError(cause) && typeof cause.error === 'string') err.message = cause.error;
  const inner = cause instanceof Error ? cause.cause : undefined;
  return {
    cause,
    code,
    log: {
      errorCode: code,
      err: inner === undefined ? err : { ...err, cause: describe(inner) },
      ...(dialog ? { dialog, wrapper: (error as Error).name } : {}),
    },
  };
}
