/**
 * Quiet hours in the user's own time zone: a reminder decided at 22:10 in Amsterdam waits until 08:00 there.
 * Returns the earliest send time ≥ now (epoch ms). An unknown time zone falls back to `defaultTimeZone`.
 */
export function notBeforeOutsideQuietHours(
  now: number,
  timeZone: string | null,
  q: { readonly enabled: boolean; readonly startHour: number; readonly endHour: number; readonly defaultTimeZone: string },
): number {
  if (!q.enabled || q.startHour === q.endHour) return now;
  const minutes = localMinutes(now, timeZone, q.defaultTimeZone);
  const start = q.startHour * 60;
  const end = q.endHour * 60;
  const quiet = start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
  if (!quiet) return now;
  const wait = (end - minutes + 24 * 60) % (24 * 60);
  // Round down to the minute boundary of the end hour (the local seconds are dropped).
  return now + wait * 60_000 - (now % 60_000);
}

/** Minutes since local midnight at `at` in the zone (valid IANA zone, or the fallback, or UTC). */
export function localMinutes(at: number, timeZone: string | null, fallback: string): number {
  for (const zone of [timeZone, fallback, 'UTC']) {
    if (!zone) continue;
    try {
      const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
      const h = Number(parts.find((p) => p.type === 'hour')?.value);
      const m = Number(parts.find((p) => p.type === 'minute')?.value);
      if (Number.isFinite(h) && Number.isFinite(m)) return h * 60 + m;
    } catch {
      /* not a zone Intl knows: try the next */
    }
  }
  return 0;
}
