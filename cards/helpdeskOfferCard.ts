import type { Translator } from '../locales';
import { card, heading, paragraph, submit, type AdaptiveCard } from './adaptiveCard';

export interface HelpdeskOfferView {
  readonly t: Translator;
  readonly agentName: string;
  readonly ticket?: string;
  readonly purpose: 'reset' | 'unlock' | 'register' | 'verify';
  /** The hand-off token: only this user can use it, once (R21). */
  readonly token: string;
}

/** The user's proactive message: "Your helpdesk (agent, ticket) asked me to help you …" with [Start] / [Decline]. */
export function buildHelpdeskOfferCard(v: HelpdeskOfferView): AdaptiveCard {
  const who = v.ticket ? v.t('helpdesk.offer.whoTicket', { agent: v.agentName, ticket: v.ticket }) : v.t('helpdesk.offer.who', { agent: v.agentName });
  return card(
    [heading(v.t('helpdesk.offer.title')), paragraph(v.t(`helpdesk.offer.body.${v.purpose}`, { who })), paragraph(v.t('helpdesk.offer.note'), { isSubtle: true })],
    [
      submit(v.t('helpdesk.offer.start'), { verb: 'handoffStart', token: v.token }, 'positive'),
      submit(v.t('helpdesk.offer.decline'), { verb: 'handoffDecline', token: v.token }),
    ],
  );
}
