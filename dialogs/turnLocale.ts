import type { Activity, TurnContext } from 'botbuilder';
import { resolveLocale, translator, type Locale, type Translator } from '../locales';
import { chatTime, knownZone, type Reader } from '../locales/times';

/** The caller's language for this turn (activity.locale: nl-* → Dutch, else English). */
export function turnLocale(context: TurnContext): Locale {
  return resolveLocale(context.activity.locale);
}

export function turnTranslator(context: TurnContext): Translator {
  return translator(turnLocale(context));
}

const isZone = (z: unknown): z is string => typeof z === 'string' && knownZone(z) !== null;

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

/** The reader of this turn for the one time formatter (locales/times.ts): language, locale tag, zone. */
export function turnReader(context: TurnContext): Reader {
  return { locale: turnLocale(context), tag: context.activity.locale ?? null, zone: turnTimeZone(context.activity) };
}

/**
 * A time the user can read: their locale's clock, their time zone (UTC, said so, only when the channel names none),
 * with the day added when it is not today there (locales/times.ts chatTime).
 */
export function formatTime(context: TurnContext, at: number, now: number = Date.now()): string {
  return chatTime(turnReader(context), at, now);
}
