import { card, heading, paragraph, type AdaptiveCard } from '../adaptiveCard';
import type { Translator } from '../../locales';

/** What replaces a card that showed or collected a secret (QR/key, recovery codes, answers): a note, no secret. */
export function buildSecretClearedCard(view: { readonly t: Translator; readonly title: string; readonly body: string }): AdaptiveCard {
  return card([heading(view.title), paragraph(view.body, { isSubtle: true })]);
}
