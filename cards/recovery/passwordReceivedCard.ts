import { card, heading, paragraph, type AdaptiveCard } from '../adaptiveCard';
import type { Translator } from '../../locales';

/** What replaces the password card right after its submit (R15): the heading, no inputs, no values. */
export function buildPasswordReceivedCard(t: Translator): AdaptiveCard {
  return card([heading(t('reset.password.title')), paragraph(t('reset.password.received'), { isSubtle: true })]);
}
