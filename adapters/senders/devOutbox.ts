import type { CodeMessage, CodeSender, NotificationMessage, Notifier } from '../../domain/ports/codeSender';

export interface OutboxEntry {
  readonly kind: 'code' | 'notification';
  readonly channel: 'sms' | 'voice' | 'email';
  readonly to: string;
  readonly code?: string;
  readonly template?: string;
  readonly locale: string;
  readonly correlationId: string;
  readonly at: number;
}

/**
 * Development outbox: records what would have been sent, so `npm start` and tests can read the code. Refused in
 * production by config. Keeps at most `capacity` entries.
 */
export class DevOutbox implements CodeSender, Notifier {
  private entries: OutboxEntry[] = [];

  constructor(
    private readonly now: () => number = () => Date.now(),
    private readonly capacity = 500,
  ) {}

  async send(m: CodeMessage): Promise<void> {
    this.push({ kind: 'code', channel: m.channel, to: m.destination, code: m.code, locale: m.locale, correlationId: m.correlationId, at: this.now() });
  }

  async notify(m: NotificationMessage): Promise<void> {
    this.push({ kind: 'notification', channel: 'email', to: m.to, template: m.template, locale: m.locale, correlationId: m.correlationId, at: this.now() });
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
