import type { CodeChannel, MethodKind } from '../model/methods';
import type { Language, UserRef } from '../model/user';

/** One code message. `destination` is E.164 for sms/voice, an address for email. */
export interface CodeMessage {
  readonly channel: CodeChannel;
  readonly destination: string;
  readonly code: string;
  readonly lifetimeMinutes: number;
  readonly locale: Language;
  readonly purpose: 'register' | 'verify';
  readonly correlationId: string;
  /** Whose code this is (the development outbox shows each demo user their own messages); never sent anywhere. */
  readonly user?: UserRef;
  /** The reader's IANA time zone, for the "valid until" time of an e-mail; set by the sending side, never by the domain. */
  readonly timeZone?: string;
  /** The reader's locale tag (en-US …) so the clock reads as in their chat; set by the sending side. */
  readonly localeTag?: string;
}

/**
 * Delivers one-time codes (SMTP, SMS/voice REST, development outbox). Never retries on its own (F15).
 * Throws SsprError('sender_failed') when the provider refuses or fails; the message never contains the code.
 */
export interface CodeSender {
  send(message: CodeMessage): Promise<void>;
}

/** What changed in security info, for the notice text (R19, R31). Never a clear destination. */
export interface SecurityInfoChange {
  readonly action: 'added' | 'changed' | 'removed' | 'reconfirmed' | 'bootstrap';
  /** Absent for a notice about the account as a whole (the session-only bootstrap). */
  readonly kind?: MethodKind;
  readonly maskedDestination?: string;
  /** Session-only bootstrap: when the new methods become usable for a reset or unlock (epoch ms). */
  readonly usableFrom?: number;
}

/** A non-code notification, e.g. "your security info changed — wasn't you?" (R18). No secrets in params. */
export interface NotificationMessage {
  /** An e-mail address, or an E.164 number when `channel` is 'sms'. */
  readonly to: string;
  /** Default 'email'. A replaced or removed phone is told by SMS (R19, R31). */
  readonly channel?: 'email' | 'sms';
  readonly template: 'methodsChanged' | 'methodsBootstrap' | 'passwordReset' | 'accountUnlocked';
  readonly locale: Language;
  readonly params: Readonly<Record<string, string>>;
  /** Security-info notices: what changed (the sender renders it in the message's language). */
  readonly change?: SecurityInfoChange;
  readonly correlationId: string;
  /** Whose notification this is (the development outbox filters by it); never sent anywhere. */
  readonly user?: UserRef;
  /** The reader's IANA time zone for the times in the text (UTC, named, without it); set by the sending side. */
  readonly timeZone?: string;
  /** The reader's locale tag (en-US …) so the clock reads as in their chat; set by the sending side. */
  readonly localeTag?: string;
}

/** Sends notifications by e-mail, and by SMS where `channel` says so (Teams messages are sent by the bot layer). */
export interface Notifier {
  notify(message: NotificationMessage): Promise<void>;
}
