import type { Locale } from './index';

const TAG: Readonly<Record<Locale, string>> = { en: 'en-GB', nl: 'nl-NL' };

/** The zone if this runtime knows it, else UTC. */
function knownZone(zone: string | null | undefined): string {
  if (typeof zone !== 'string' || zone === '' || zone.length > 64) return 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    return 'UTC';
  }
}

/**
 * A time for words read away from the chat — an e-mail, an SMS, a card in a channel that several people read: in the
 * reader's time zone when we know it (UTC otherwise), in their language, and with the zone always named ("16:45 CET",
 * "om 16:45 CET"), because such a message is read later, elsewhere, or by someone in another zone. `date` adds the day
 * ("1 December 2026 at 16:45 CET").
 */
export function namedTime(locale: Locale, at: number, zone: string | null | undefined, opts: { readonly date?: boolean } = {}): string {
  const day: Intl.DateTimeFormatOptions = opts.date ? { year: 'numeric', month: 'long', day: 'numeric' } : {};
  return new Intl.DateTimeFormat(TAG[locale], { ...day, hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: knownZone(zone), timeZoneName: 'short' }).format(at);
}

/**
 * Several clock times of one card in the reader's zone, and that zone's short name once (a status line: "Sent 16:45 ·
 * Started 16:47", then "CET").
 */
export function clockTimes(locale: Locale, ats: readonly number[], zone: string | null | undefined): { readonly times: string[]; readonly zone: string } {
  const format = new Intl.DateTimeFormat(TAG[locale], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: knownZone(zone), timeZoneName: 'short' });
  let name = '';
  const times = ats.map((at) => {
    const parts = format.formatToParts(at);
    name = parts.find((p) => p.type === 'timeZoneName')?.value ?? name;
    return parts
      .filter((p) => p.type === 'hour' || p.type === 'minute' || (p.type === 'literal' && p.value === ':'))
      .map((p) => p.value)
      .join('');
  });
  if (!name) name = format.formatToParts(0).find((p) => p.type === 'timeZoneName')?.value ?? 'UTC';
  return { times, zone: name };
}
