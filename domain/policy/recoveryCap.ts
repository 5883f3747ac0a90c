import type { Policy } from './policy';

const DAY_MS = 86_400_000;

/** C6: the length of the sliding window the reset/unlock cap counts over. */
export function recoveryCapWindowMs(resets: Policy['resets']): number {
  return resets.windowDays * DAY_MS;
}

/**
 * C6: may the user reset or unlock once more? `completions` are the times (epoch ms) of the user's resets and
 * unlocks inside the window, any order. The N-th within the window is allowed; the (N+1)-th is refused until enough of
 * the earlier ones have slid out: `retryAt` is when the window holds N - 1 again, so one more may go ahead.
 */
export function judgeRecoveryCap(
  resets: Policy['resets'],
  completions: readonly number[],
  now: number,
): { readonly allowed: true; readonly used: number } | { readonly allowed: false; readonly used: number; readonly retryAt: number } {
  const windowMs = recoveryCapWindowMs(resets);
  const inWindow = completions.filter((t) => t > now - windowMs).sort((a, b) => a - b);
  if (inWindow.length < resets.maxPerWindow) return { allowed: true, used: inWindow.length };
  // Ascending: the (used - N)-th oldest leaving the window brings the count to N - 1.
  const retryAt = inWindow[inWindow.length - resets.maxPerWindow]! + windowMs;
  return { allowed: false, used: inWindow.length, retryAt };
}
