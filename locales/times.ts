import type { Locale } from './index';

/**
 * The one place times are written for people (issue: the chat said "08:41 PM", the e-mail "20:41 UTC"). Every surface
 * — chat replies, cards, e-mails, SMS, Teams notices, campaign cards — formats through here, so one user sees one
 * clock: Dutch always 24-hour; English as the user's own locale writes it (en-US "8:41 PM", en-GB "20:41"), en-GB when
 * the channel names no English variant.
 */

/** The BCP 47 tag to format with: nl → nl-NL; en → the user's English variant (en-US, en-AU …) if known, else en-GB. */
export function timeTag(locale: Locale, requested?: string | null): string {
  if (locale === 'nl') return 'nl-NL';
  const tag = typeof requested === 'string' ? requested.replace('_', '-') : '';
  if (/^en-[A-Za-z0-9]{2,8}$/.test(tag)) {
    try {
      return Intl.DateTimeFormat.supportedLocalesOf([tag]).length ? tag : 'en-GB';
    } catch {
      return 'en-GB';
    }
  }
  return 'en-GB';
}

/** The zone if this runtime knows it, else null. */
export function knownZone(zone: string | null | undefined): string | null {
  if (typeof zone !== 'string' || zone === '' || zone.length > 64) return null;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    return null;
  }
}

/** Who reads the time: their language, their locale tag if the channel told it (en-US), their zone if known. */
export interface Reader {
  readonly locale: Locale;
  readonly tag?: string | null | undefined;
  readonly zone?: string | null | undefined;
}

/** The clock part: 24-hour as "08:05" (Dutch always; en-GB …), 12-hour as "8:05 AM" (en-US …), never "08:05 AM". */
function clock(r: Reader): Intl.DateTimeFormatOptions {
  if (r.locale === 'nl') return { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  const cycle = new Intl.DateTimeFormat(timeTag(r.locale, r.tag), { hour: 'numeric' }).resolvedOptions().hourCycle;
  return cycle === 'h12' || cycle === 'h11' ? { hour: 'numeric', minute: '2-digit' } : { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
}

function format(r: Reader, at: number, o: Intl.DateTimeFormatOptions, zone: string): string {
  return new Intl.DateTimeFormat(timeTag(r.locale, r.tag), { ...o, timeZone: zone }).format(at);
}

/**
 * A time for words read away from the chat — an e-mail, an SMS, a Teams notice, a card in a channel that several
 * people read: in the reader's zone when we know it (UTC otherwise), with the zone always named ("16:45 CET", "4:45 PM
 * CET"), because such a message is read later, elsewhere, or by someone in another zone. `date` adds the day
 * ("1 December 2026 at 16:45 CET").
 */
export function namedTime(locale: Locale | Reader, at: number, zone?: string | null, opts: { readonly date?: boolean } = {}): string {
  const r: Reader = typeof locale === 'string' ? { locale, zone } : { ...locale, zone: zone ?? locale.zone };
  const day: Intl.DateTimeFormatOptions = opts.date ? { year: 'numeric', month: 'long', day: 'numeric' } : {};
  return format(r, at, { ...day, ...clock(r), timeZoneName: 'short' }, knownZone(r.zone) ?? 'UTC');
}

/**
 * A time in the chat the user is reading now: their clock, their zone (no zone name: it is their own), the day added
 * when it is not today there. Without a known zone: UTC, and the text says so.
 */
export function chatTime(r: Reader, at: number, now: number): string {
  const zone = knownZone(r.zone);
  const where = zone ?? 'UTC';
  const dayOf = (when: number): string => new Intl.DateTimeFormat('en-GB', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: where }).format(when);
  const sameDay = dayOf(at) === dayOf(now);
  return format(r, at, { ...(sameDay ? {} : { weekday: 'short', day: 'numeric', month: 'short' }), ...clock(r), ...(zone ? {} : { timeZoneName: 'short' }) }, where);
}

/** A day without a time ("Tuesday 8 December"), in the reader's zone (UTC without one). */
export function longDate(r: Reader, at: number): string {
  return format(r, at, { weekday: 'long', day: 'numeric', month: 'long' }, knownZone(r.zone) ?? 'UTC');
}

/**
 * Several clock times of one card in the reader's zone, and that zone's short name once (a status line: "Sent 16:45 ·
 * Started 16:47", then "CET").
 */
export function clockTimes(locale: Locale | Reader, ats: readonly number[], zone?: string | null): { readonly times: string[]; readonly zone: string } {
  const r: Reader = typeof locale === 'string' ? { locale, zone } : { ...locale, zone: zone ?? locale.zone };
  const f = new Intl.DateTimeFormat(timeTag(r.locale, r.tag), { ...clock(r), timeZone: knownZone(r.zone) ?? 'UTC', timeZoneName: 'short' });
  let name = '';
  const times = ats.map((at) => {
    const parts = f.formatToParts(at);
    name = parts.find((p) => p.type === 'timeZoneName')?.value ?? name;
    return parts
      .filter((p) => p.type !== 'timeZoneName')
      .map((p) => p.value)
      .join('')
      .trim();
  });
  if (!name) name = f.formatToParts(0).find((p) => p.type === 'timeZoneName')?.value ?? 'UTC';
  return { times, zone: name };
}
