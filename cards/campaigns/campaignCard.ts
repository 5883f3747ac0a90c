import { card, heading, paragraph, submit, type AdaptiveCard, type CardAction } from '../adaptiveCard';
import type { Locale, Translator } from '../../locales';
import { knownZone, longDate, namedTime, type Reader } from '../../locales/times';
import type { CampaignCard } from '../../domain/campaigns/model';
import { buildSecurityAlertCard } from '../securityAlertCard';

export interface CampaignCardView {
  readonly t: Translator;
  readonly locale: Locale;
  /** The recipient's IANA time zone (Teams tells it on every turn); null = the organisation's default. */
  readonly timeZone: string | null;
  readonly defaultTimeZone: string;
  /**
   * The directory can unlock an account (LDAP/AD). Entra cannot (Graph has no unlock): the lockout card then offers
   * the verified password reset instead, which ends the lock there.
   */
  readonly canUnlock: boolean;
  /** The message id: every button of the card carries it, and the bot acts only if this card went to the tapper. */
  readonly ref: string;
  /** Security alerts: the audit trail link for the event (cards/securityAlertCard.ts). */
  readonly auditUrl?: string | null;
}

/** The recipient's zone, else the organisation's default, else UTC (locales/times.ts names the zone). */
const readerOf = (v: CampaignCardView): Reader => ({ locale: v.locale, zone: knownZone(v.timeZone) ?? knownZone(v.defaultTimeZone) ?? 'UTC' });
// A proactive card is read later, maybe elsewhere: the time names its zone ("20:41 CET").
const time = (at: number, v: CampaignCardView): string => namedTime(readerOf(v), at);
const date = (at: number, v: CampaignCardView): string => longDate(readerOf(v), at);

/** Snooze and "stop these reminders" for the kinds a user may silence (never for lockout or security alerts). */
function silence(v: CampaignCardView, kind: 'expiry' | 'registration' | 'reconfirm', canSnooze: boolean): CardAction[] {
  const a: CardAction[] = [];
  if (canSnooze) {
    a.push(submit(v.t('campaign.snooze1'), { verb: 'campaign.snooze', kind, days: 1, ref: v.ref }));
    a.push(submit(v.t('campaign.snooze7'), { verb: 'campaign.snooze', kind, days: 7, ref: v.ref }));
  }
  a.push(submit(v.t('campaign.stop'), { verb: 'campaign.stop', kind, ref: v.ref }));
  return a;
}

/**
 * The proactive cards (issue 13). Every one-tap action only opens a journey: Unlock and "Change it now" start the
 * verified unlock / reset journeys (menu verbs; Reset password where the directory cannot unlock), "This wasn't me" reports and offers the helpdesk (R39). Times are
 * shown in the user's time zone.
 */
export function buildCampaignCard(c: CampaignCard, v: CampaignCardView): AdaptiveCard {
  const { t } = v;
  switch (c.kind) {
    case 'expiry':
      return card(
        [
          heading(c.daysLeft <= 1 ? t('campaign.expiry.titleTomorrow') : t('campaign.expiry.title', { days: c.daysLeft })),
          paragraph(t('campaign.expiry.body', { date: date(c.expiresAt, v), time: time(c.expiresAt, v) })),
        ],
        [submit(t('campaign.expiry.change'), { verb: 'menu', choice: 'reset' }, 'positive'), ...silence(v, 'expiry', true)],
      );
    case 'lockout':
      return card(
        [heading(t('campaign.lockout.title', { time: time(c.lockedAt, v) })), paragraph(t(v.canUnlock ? 'campaign.lockout.body' : 'campaign.lockout.bodyReset'))],
        [
          v.canUnlock
            ? submit(t('campaign.lockout.unlock'), { verb: 'menu', choice: 'unlock' }, 'positive')
            : submit(t('campaign.lockout.reset'), { verb: 'menu', choice: 'reset' }, 'positive'),
          submit(t('campaign.lockout.notMe'), { verb: 'campaign.notMe', ref: v.ref }, 'destructive'),
        ],
      );
    case 'registration':
      return card(
        [heading(t('campaign.registration.title')), paragraph(t('campaign.registration.body', { confirmed: c.confirmed, required: c.required }))],
        [
          submit(t('campaign.registration.register'), { verb: 'menu', choice: 'securityInfo' }, 'positive'),
          ...silence(v, 'registration', c.canSnooze),
        ],
      );
    case 'reconfirm':
      return card(
        [heading(t('campaign.reconfirm.title')), paragraph(t('campaign.reconfirm.body', { date: date(c.confirmedAt, v) }))],
        [submit(t('campaign.reconfirm.review'), { verb: 'menu', choice: 'securityInfo' }, 'positive'), ...silence(v, 'reconfirm', c.canSnooze)],
      );
    case 'securityAlert':
      return buildSecurityAlertCard({ t, alert: c.alert, subject: c.subject, correlationId: c.correlationId, detail: c.detail, auditUrl: v.auditUrl ?? null });
  }
}
