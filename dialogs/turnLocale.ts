import type { TurnContext } from 'botbuilder';
import { resolveLocale, translator, type Locale, type Translator } from '../locales';

/** The caller's language for this turn (activity.locale: nl-* → Dutch, else English). */
export function turnLocale(context: TurnContext): Locale {
  return resolveLocale(context.activity.locale);
}

export function turnTranslator(context: TurnContext): Translator {
  return translator(turnLocale(context));
}
