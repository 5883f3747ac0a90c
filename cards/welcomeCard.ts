import { card, heading, paragraph, type AdaptiveCard } from './adaptiveCard';
import { menuActions } from './menuCard';
import type { Translator } from '../locales';
import type { MenuChoice } from './verbs';

export interface WelcomeView {
  readonly t: Translator;
  readonly firstName: string;
  readonly choices: readonly MenuChoice[];
  /** Invite to register when the user has no methods yet. */
  readonly inviteToRegister: boolean;
  /**
   * The user's own account cannot use self-service (disabled, outside the self-service scope, an admin account the
   * organisation sends to the helpdesk): say so and point to the helpdesk instead of inviting them to register.
   */
  readonly helpdeskOnly?: { readonly reason: HelpdeskOnlyReason; readonly contact: string };
}

export type HelpdeskOnlyReason = 'account_disabled' | 'out_of_scope' | 'privileged_helpdesk';

/** First contact: who the bot is, what it never asks for, and the menu. */
export function buildWelcomeCard(view: WelcomeView): AdaptiveCard {
  const { t } = view;
  // No name known (Teams' install event carries none): greet without one rather than "Hi , I'm…".
  const title = view.firstName.trim() ? t('welcome.title', { name: view.firstName.trim() }) : t('welcome.titleNoName');
  const body = [heading(title), paragraph(t('welcome.body'))];
  if (view.helpdeskOnly) {
    body.push(paragraph(t(`precheck.${view.helpdeskOnly.reason}.title`), { weight: 'Bolder', spacing: 'Medium' }));
    body.push(paragraph(t(`precheck.${view.helpdeskOnly.reason}.body`)));
    body.push(paragraph(t('welcome.helpdeskOnly', { contact: view.helpdeskOnly.contact })));
  } else if (view.inviteToRegister) body.push(paragraph(t('welcome.noMethods'), { weight: 'Bolder' }));
  body.push(paragraph(t('menu.title'), { spacing: 'Medium' }));
  return card(body, menuActions(t, view.choices));
}
