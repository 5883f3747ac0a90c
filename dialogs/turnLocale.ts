import type { Activity, TurnContext } from 'botbuilder';
import { resolveLocale, translator, type Locale, type Translator } from '../locales';

/** The caller's language for this turn (activity.locale: nl-* → Dutch, else English). */
export function turnLocale(context: TurnContext): Locale {
  return resolveLocale(context.activity.locale);
}

export function turnTranslator(context: TurnContext): Translator {
  return translator(turnLocale(context));
}

const isZone = (z: unknown): z is string => {
  if (typeof z !== 'string' || z === '' || z.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: z });
    return true;
  } catch {
    return false;
  }
};

/**
 * The user's IANA time zone as the channel tells it: `localTimezone` on the activity (Teams, Web Chat), else the
 * `timezone` of the clientInfo entity (Teams); null when neither names a zone this runtime knows.
 */
export function turnTimeZone(activity: Pick<Partial<Activity>, 'localTimezone' | 'entities'>): string | null {
  if (isZone(activity.localTimezone)) return activity.localTimezone;
  for (const e of activity.entities ?? []) {
    const zone = (e as { type?: unknown; timezone?: unknown }).type === 'clientInfo' ? (e as { timezone?: unknown }).timezone : undefined;
    if (isZone(zone)) return zone;
  }
  return null;
}

/**
 * A time the user can read: their locale's format, their time zone (UTC, said so, only when the channel names none),
 * with the day added when it is not today there.
 */
export function formatTime(context: TurnContext, at: number, now: number = Date.now()): string {
  const requested = context.activity.locale ?? '';
  const tag = turnLocale(context) === 'nl' ? 'nl-NL' : /^en[-_]/i.test(requested) ? requested.replace('_', '-') : 'en-GB';
  const zone = turnTimeZone(context.activity);
  const where: Intl.DateTimeFormatOptions = zone ? { timeZone: zone } : { timeZone: 'UTC', timeZoneName: 'short' };
  const fmt = (o: Intl.DateTimeFormatOptions, when: number, extra: Intl.DateTimeFormatOptions = where): string => {
    try {
      return new Intl.DateTimeFormat(tag, { ...o, ...extra }).format(when);
    } catch {
      return new Intl.DateTimeFormat('en-GB', { ...o, ...extra }).format(when);
    }
  };
  const day: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit' };
  const dayZone: Intl.DateTimeFormatOptions = { timeZone: zone ?? 'UTC' };
  const time: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit' };
  const sameDay = fmt(day, at, dayZone) === fmt(day, now, dayZone);
  return fmt(sameDay ? time : { ...time, weekday: 'short', day: 'numeric', month: 'short' }, at);
}
