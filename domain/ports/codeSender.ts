import type { CodeChannel } from '../model/methods';
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
}

/**
 * Delivers one-time codes (SMTP, SMS/voice REST, development outbox). Never retries on its own (F15).
 * Throws SsprError('sender_failed') when the provider refuses or fails; the message never contains the code.
 */
export interface CodeSender {
  send(message: CodeMessage): Promise<void>;
}

/** A non-code notification, e.g. "your security info changed — wasn't you?" (R18). No secrets in params. */
export interface NotificationMessage {
  readonly to: string;
  readonly template: 'methodsChanged' | 'passwordReset' | 'accountUnlocked';
  readonly locale: Language;
  readonly params: Readonly<Record<string, string>>;
  readonly correlationId: string;
  /** Whose notification this is (the development outbox filters by it); never sent anywhere. */
  readonly user?: UserRef;
}

/** Sends notifications by e-mail (Teams messages are sent by the bot layer). */
export interface Notifier {
  notify(message: NotificationMessage): Promise<void>;
}
