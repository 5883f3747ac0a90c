import type { UserRef } from '../model/user';

/** The proactive campaigns (issue 13). Each kind has its own opt-out, snooze and policy block. */
export const CAMPAIGN_KINDS = ['expiry', 'lockout', 'registration', 'reconfirm', 'securityAlert'] as const;
export type CampaignKind = (typeof CAMPAIGN_KINDS)[number];

/** Kinds a user may snooze or stop (R39). Lockout alerts and security alerts can't be switched off. */
export const OPTIONAL_KINDS = ['expiry', 'registration', 'reconfirm'] as const;
export type OptionalKind = (typeof OPTIONAL_KINDS)[number];
export function isOptionalKind(k: string): k is OptionalKind {
  return (OPTIONAL_KINDS as readonly string[]).includes(k);
}

/** What the security channel is told about (E2). */
export const SECURITY_ALERT_KINDS = [
  'privileged_reset',
  'verification_blocked',
  'send_spike',
  'shared_bucket_exceeded',
  'not_me_reported',
] as const;
export type SecurityAlertKind = (typeof SECURITY_ALERT_KINDS)[number];

/**
 * The content of a proactive card, as a view model: the worker renders it in the recipient's language at send
 * time. Never a secret; times are epoch ms and shown in the user's time zone.
 */
export type CampaignCard =
  | { readonly kind: 'expiry'; readonly expiresAt: number; readonly daysLeft: number }
  | { readonly kind: 'lockout'; readonly lockedAt: number }
  | { readonly kind: 'registration'; readonly confirmed: number; readonly required: number; readonly canSnooze: boolean }
  | { readonly kind: 'reconfirm'; readonly confirmedAt: number; readonly canSnooze: boolean }
  | {
      readonly kind: 'securityAlert';
      readonly alert: SecurityAlertKind;
      /** Pseudonymous subject (user hash, prefix, bucket): never a name, number or address. */
      readonly subject: string;
      readonly correlationId: string;
      readonly detail: Readonly<Record<string, string | number>>;
      /** When it happened (epoch ms); absent on alerts queued before it was added. */
      readonly at?: number;
    };

/** Who gets the message: one user's 1:1 chat, or the configured security-alert channel. */
export type Recipient = { readonly kind: 'user'; readonly user: UserRef } | { readonly kind: 'securityChannel' };

/**
 * One proactive message. `id` is its idempotency key: stable for the event it is about (the same expiry date, the
 * same lockout), so a retried job, a second worker or a rerun scan never sends it twice.
 */
export interface OutboundMessage {
  readonly id: string;
  readonly tenantId: string;
  readonly to: Recipient;
  readonly card: CampaignCard;
  /** Epoch ms the message was decided (delivery delay is measured from here, or from notBefore when later). */
  readonly createdAt: number;
  /** Quiet hours: not before this time (epoch ms). */
  readonly notBefore?: number;
}

export function campaignKindOf(card: CampaignCard): CampaignKind {
  return card.kind;
}
