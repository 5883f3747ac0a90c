import en from './en.json';
import nl from './nl.json';

export type Locale = 'en' | 'nl';
export const LOCALES: readonly Locale[] = ['en', 'nl'];

type Catalog = Record<string, string>;
const catalogs: Record<Locale, Catalog> = { en, nl };

/** Channel locale (`activity.locale`, `Accept-Language`) → catalog: nl-* is Dutch, everything else English. */
export function resolveLocale(tag: string | undefined | null): Locale {
  return typeof tag === 'string' && /^nl(?:[-_]|$)/i.test(tag.trim()) ? 'nl' : 'en';
}

export type TextParams = Readonly<Record<string, string | number>>;

/**
 * The text with id `key` in `locale`, `{name}` placeholders filled from `params`.
 * A missing key falls back to English, then to the key itself (tests make sure neither happens).
 */
export function t(locale: Locale, key: string, params?: TextParams): string {
  const template = catalogs[locale][key] ?? catalogs.en[key] ?? key;
  if (!params) return template;
  return plurals(template, params).replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/**
 * ICU-style plurals, the part our two languages need: `{count, plural, one {# method} other {# methods}}` picks the
 * branch for the number in `params.count` (English and Dutch: one for 1, other otherwise) and puts it for `#`.
 */
const PLURAL = /\{(\w+), plural, one \{([^{}]*)\} other \{([^{}]*)\}\}/g;
function plurals(template: string, params: TextParams): string {
  return template.replace(PLURAL, (m, name: string, one: string, other: string) => {
    const n = params[name];
    if (typeof n !== 'number') return m;
    return (n === 1 ? one : other).replace(/#/g, String(n));
  });
}

/** A translator bound to one locale. */
export type Translator = (key: string, params?: TextParams) => string;
export const translator =
  (locale: Locale): Translator =>
  (key, params) =>
    t(locale, key, params);

/** Every key of a catalog (for the completeness test). */
export function catalogKeys(locale: Locale): string[] {
  return Object.keys(catalogs[locale]);
}
export function rawText(locale: Locale, key: string): string | undefined {
  return catalogs[locale][key];
}
