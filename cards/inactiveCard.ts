import { card, paragraph, type AdaptiveCard } from './adaptiveCard';
import type { Translator } from '../locales';

/** What an older card becomes once a newer one replaces it: one quiet line, no buttons (issue 11 item 4). */
export function buildInactiveCard(view: { readonly t: Translator }): AdaptiveCard {
  return card([paragraph(view.t('card.inactive'), { isSubtle: true })]);
}
