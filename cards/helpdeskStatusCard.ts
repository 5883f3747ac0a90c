import type { Locale, Translator } from '../locales';
import { clockTimes } from '../locales/times';
import { card, heading, paragraph, type AdaptiveCard } from './adaptiveCard';

export interface HelpdeskStatusView {
  readonly t: Translator;
  readonly targetName: string;
  readonly purpose: 'reset' | 'unlock' | 'register' | 'verify';
  readonly ticket?: string;
  readonly status: 'created' | 'sent' | 'started' | 'verified' | 'done' | 'failed' | 'expired' | 'declined';
  readonly reason?: string;
  /** Method kinds only (R21: no method detail beyond its kind). */
  readonly methodKinds: readonly string[];
  readonly history: readonly { readonly status: string; readonly at: number }[];
  /** The card's language and the agent's time zone (of the turn that created the card; UTC, named, without one). */
  readonly locale: Locale;
  readonly timeZone?: string | null;
}

/** The agent's status card in the helpdesk channel, replaced in place as the user goes. Outcome only, no secrets. */
export function buildHelpdeskStatusCard(v: HelpdeskStatusView): AdaptiveCard {
  const facts = [
    { title: v.t('helpdesk.status.user'), value: v.targetName },
    { title: v.t('helpdesk.status.purpose'), value: v.t(`helpdesk.purpose.${v.purpose}`) },
    ...(v.ticket ? [{ title: v.t('helpdesk.status.ticket'), value: v.ticket }] : []),
    { title: v.t('helpdesk.status.state'), value: v.t(`helpdesk.state.${v.status}`) },
    ...(v.methodKinds.length ? [{ title: v.t('helpdesk.status.methods'), value: v.methodKinds.map((k) => v.t(`helpdesk.kind.${k}`)).join(', ') }] : []),
  ];
  const body = [heading(v.t('helpdesk.status.title')), { type: 'FactSet', facts }];
  if (v.reason) body.push(paragraph(v.t(`helpdesk.reason.${v.reason}`), { color: 'Attention' }));
  // The channel's other agents read this card too: the zone is named once, after the times.
  const { times, zone } = clockTimes(v.locale, v.history.map((h) => h.at), v.timeZone);
  const line = v.history.map((h, i) => `${v.t(`helpdesk.state.${h.status}`)} ${times[i] ?? ''}`).join(' · ');
  body.push(paragraph(line ? `${line} (${zone})` : '', { isSubtle: true, size: 'Small' }));
  return card(body);
}
