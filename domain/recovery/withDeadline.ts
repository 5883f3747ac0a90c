/** The result of racing a slow operation against the R26 answer deadline. */
export type DeadlineOutcome<T> =
  | { readonly done: true; readonly value: T }
  | { readonly done: false; readonly pending: Promise<T> };

/** Default answer deadline (R26): calls slower than this continue in the background. */
export const ANSWER_DEADLINE_MS = 2000;

/**
 * Waits up to `ms` for `promise`. When it settles in time, returns its value (or rethrows its error); otherwise
 * returns the still-running promise so the caller can answer "working on it" now and deliver the outcome
 * proactively later (R26). The operation itself is never cancelled: the directory write must run to its end.
 */
export async function withDeadline<T>(promise: Promise<T>, ms: number = ANSWER_DEADLINE_MS): Promise<DeadlineOutcome<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    const first = await Promise.race([promise.then((value) => ({ value })), timeout]);
    if (first === 'timeout') return { done: false, pending: promise };
    return { done: true, value: first.value };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
