import { card, paragraph, type AdaptiveCard } from '../adaptiveCard';
import type { Translator } from '../../locales';

/** Replaces a submitted code, answer or recovery-code card so what was typed does not stay in the chat. */
export function buildAnswerReceivedCard(t: Translator): AdaptiveCard {
  return card([paragraph(t('verify.received'), { isSubtle: true })]);
}
