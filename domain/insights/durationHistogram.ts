/**
 * A bounded histogram of durations (time to a finished reset): fixed upper bounds in seconds, one counter each, so
 * the median over any date range is read from summed counters instead of kept samples. The median is reported as
 * the upper bound of the bucket that holds it (error at most one bucket width).
 */
export const DURATION_BOUNDS_SECONDS: readonly number[] = [15, 30, 45, 60, 90, 120, 150, 180, 240, 300, 420, 600, 900, 1200, 1800, 3600, Infinity];

/** Index of the bucket a duration falls in. */
export function durationBucket(ms: number): number {
  const s = Math.max(0, ms) / 1000;
  const i = DURATION_BOUNDS_SECONDS.findIndex((b) => s <= b);
  return i < 0 ? DURATION_BOUNDS_SECONDS.length - 1 : i;
}

/** Median (upper bound of its bucket, in seconds) of a histogram given as counts per bucket; null when empty. */
export function histogramMedian(counts: readonly number[]): number | null {
  const n = counts.reduce((a, b) => a + b, 0);
  if (n === 0) return null;
  const rank = Math.ceil(n / 2);
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] ?? 0;
    if (seen >= rank) return DURATION_BOUNDS_SECONDS[i] ?? null;
  }
  return null;
}
