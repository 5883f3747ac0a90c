import type { CodeMessage, CodeSender, NotificationMessage, Notifier } from '../../domain/ports/codeSender';
import type { UserRef } from '../../domain/model/user';
import { codeMessageText, notificationText } from './messageText';

export interface OutboxEntry {
  readonly kind: 'code' | 'notification';
  readonly channel: 'sms' | 'voice' | 'email';
  readonly to: string;
  readonly code?: string;
  readonly template?: string;
  readonly locale: string;
  readonly correlationId: string;
  readonly at: number;
  /** Whose message it is, when the sender was told. */
  readonly user?: UserRef;
  /** The e-mail subject, as the real sender would write it. */
  readonly subject?: string;
  /** The text as the real sender would deliver it (SMS body, the words the voice call says, the e-mail body). */
  readonly text: string;
}

/**
 * Development outbox: records what would have been sent, with the words the real senders would use, so `npm start`
 * and tests can read the code. Refused in production by config. Keeps at most `capacity` entries.
 */
export class DevOutbox implements CodeSender, Notifier {
  private entries: OutboxEntry[] = [];

  constructor(
    private readonly now: () => number = () => Date.now(),
    private readonly capacity = 500,
  ) {}

  async send(m: CodeMessage): Promise<void> {
    const at = this.now();
    const { subject, text } = codeMessageText(m, at);
    this.push({
      kind: 'code',
      channel: m.channel,
      to: m.destination,
      code: m.code,
      locale: m.locale,
      correlationId: m.correlationId,
      at,
      ...(m.user ? { user: m.user } : {}),
      ...(subject ? { subject } : {}),
      text,
    });
  }

  async notify(m: NotificationMessage): Promise<void> {
    const at = this.now();
    const { subject, text } = notificationText(m, at);
    this.push({
      kind: 'notification',
      channel: m.channel ?? 'email',
      to: m.to,
      template: m.template,
      locale: m.locale,
      correlationId: m.correlationId,
      at,
      ...(m.user ? { user: m.user } : {}),
      ...(subject ? { subject } : {}),
      text,
    });
  }

  private push(e: OutboxEntry): void {
    this.entries.push(e);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  /** Everything recorded, oldest first; optionally only messages to one destination. */
  list(to?: string): readonly OutboxEntry[] {
    return to === undefined ? [...this.entries] : this.entries.filter((e) => e.to === to);
  }

  /** The newest code sent to a destination. */
  lastCode(to: string): string | undefined {
    return [...this.entries].reverse().find((e) => e.to === to && e.code !== undefined)?.code;
  }

  clear(): void {
    this.entries = [];
  }
}
