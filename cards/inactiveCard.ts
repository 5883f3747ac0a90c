import { card, paragraph, type AdaptiveCard } from './adaptiveCard';
import type { Translator } from '../locales';

/** The id of the inactive card's body: what tests and the dev page recognise a replaced card by. */
export const SUPERSEDED_ID = 'superseded';

export interface InactiveCardView {
  readonly t: Translator;
  /** The replaced card's own heading, if it had one (what the user sees it was: "Your security info"). */
  readonly title?: string;
  /**
   * The first of a run of cards replaced at once carries the sentence that says where to go on; the others show only
   * what they were, so the chat does not repeat one line down the screen.
   */
  readonly first: boolean;
}

/**
 * What an older card becomes once a newer one replaces it (issue 11 item 4): no buttons, its title kept, and — on the
 * first of the run only — "Replaced by a newer step below".
 */
export function buildInactiveCard(view: InactiveCardView): AdaptiveCard {
  const { t } = view;
  const title = view.title?.trim();
  const body = [];
  if (title) body.push(paragraph(view.first ? title : t('card.replaced.titled', { title }), { isSubtle: true, weight: view.first ? 'Bolder' : 'Default' }));
  if (view.first) body.push(paragraph(t('card.replaced.below'), { isSubtle: true, spacing: title ? 'None' : 'Default' }));
  else if (!title) body.push(paragraph(t('card.replaced.untitled'), { isSubtle: true }));
  return card([{ type: 'Container', id: SUPERSEDED_ID, items: body }]);
}
