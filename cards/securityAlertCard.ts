import { card, heading, paragraph, type AdaptiveCard, type CardAction } from './adaptiveCard';
import type { Translator } from '../locales';
import type { SecurityAlertKind } from '../domain/campaigns/model';

/** What the security-alert channel is told about one E2 alert, in the channel's configured language. */
export interface SecurityAlertView {
  readonly t: Translator;
  readonly alert: SecurityAlertKind;
  /** Pseudonymous subject (the audit trail's user pseudonym, a phone prefix, an hour): never a name or number. */
  readonly subject: string;
  readonly correlationId: string;
  readonly detail: Readonly<Record<string, string | number>>;
  /** The admin audit export of this event's lines (GET /api/admin/audit); null when no public URL is known. */
  readonly auditUrl: string | null;
}

const DETAIL_LABEL = {
  prefix: 'campaign.alert.detail.prefix',
  limit: 'campaign.alert.detail.limit',
  about: 'campaign.alert.detail.about',
  hourCount: 'campaign.alert.detail.hourCount',
  baselinePerHour: 'campaign.alert.detail.baselinePerHour',
} as const;

/**
 * The one E2 security-alert card (issue 13), whoever posts it — the helpdesk bot's channel poster and the campaign
 * delivery queue alike: what happened, the pseudonymous subject, the details, the audit correlation id and a link to
 * the audit trail for the event.
 */
export function buildSecurityAlertCard(v: SecurityAlertView): AdaptiveCard {
  const { t } = v;
  const details = Object.entries(v.detail).map(([k, val]) => {
    const label = (DETAIL_LABEL as Record<string, (typeof DETAIL_LABEL)[keyof typeof DETAIL_LABEL] | undefined>)[k];
    return `${label ? t(label) : k}: ${String(val)}`;
  });
  const actions: CardAction[] = v.auditUrl ? [{ type: 'Action.OpenUrl', title: t('campaign.alert.openAudit'), url: v.auditUrl }] : [];
  return card(
    [
      heading(t('campaign.alert.title')),
      paragraph(t(`campaign.alert.${v.alert}`)),
      paragraph(t('campaign.alert.subject', { subject: v.subject })),
      ...(details.length ? [paragraph(details.join(' · '))] : []),
      paragraph(t('campaign.alert.audit', { ref: v.correlationId }), { isSubtle: true }),
    ],
    actions,
  );
}
