import type { UserRef } from '../model/user';
import type { SecurityInfoChange } from './codeSender';

/** Events the user is told about after the fact (R18), with "wasn't you?" guidance. */
export type NotificationEvent =
  | 'password_reset'
  | 'account_unlocked'
  | 'methods_changed'
  /** R31: methods were registered with only a Teams session (the account had none); they are on hold. */
  | 'methods_bootstrap'
  | 'helpdesk_flow_started'
  | 'verification_blocked';

/**
 * Tells the user about a security event: a Teams message in their 1:1 chat and an e-mail to every registered
 * notification address (the bot layer implements it, within 60 s). Carries no secrets; the implementation must not
 * throw for delivery problems it can retry in the background.
 */
export interface Notifications {
  /** `change`: for `methods_changed`, what changed (kind, action, masked destination), so the notice can say it. */
  notify(user: UserRef, event: NotificationEvent, correlationId: string, change?: SecurityInfoChange): Promise<void>;
}
