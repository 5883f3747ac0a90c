import { card, heading, paragraph, submit, type AdaptiveCard, type CardAction } from './adaptiveCard';
import type { Translator } from '../locales';
import type { MenuChoice } from './verbs';

export interface MenuView {
  readonly t: Translator;
  /** Journeys that exist in this deployment, in display order. */
  readonly choices: readonly MenuChoice[];
  readonly intro?: string;
}

const LABEL: Readonly<Record<MenuChoice, string>> = {
  reset: 'menu.reset',
  unlock: 'menu.unlock',
  securityInfo: 'menu.securityInfo',
  check: 'menu.check',
  help: 'menu.help',
};

/** The main menu: one button per available journey. */
export function buildMenuCard(view: MenuView): AdaptiveCard {
  const body = [heading(view.t('menu.title'))];
  if (view.intro) body.unshift(paragraph(view.intro));
  return card(body, menuActions(view.t, view.choices));
}

/** One Action.Submit per menu choice (shared with the welcome card). */
export function menuActions(t: Translator, choices: readonly MenuChoice[]): CardAction[] {
  return choices.map((c) => submit(t(LABEL[c]), { verb: 'menu', choice: c }));
}

export interface HelpView {
  readonly t: Translator;
  readonly choices: readonly MenuChoice[];
  readonly contact: string;
  /** Whether "talk to the helpdesk" can be offered (a helpdesk channel or webhook exists). */
  readonly helpdesk: boolean;
}

/** Help: what the bot does and does not do, each journey as a button, and the helpdesk. */
export function buildHelpCard(view: HelpView): AdaptiveCard {
  const { t } = view;
  const body = [heading(t('help.title')), paragraph(t('help.body', { contact: view.contact }))];
  const actions = menuActions(t, view.choices);
  if (view.helpdesk) actions.push(submit(t('precheck.action.helpdesk'), { verb: 'helpdesk', tried: 'none' }));
  return card(body, actions);
}
