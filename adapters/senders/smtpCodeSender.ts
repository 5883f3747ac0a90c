import nodemailer, { type Transporter } from 'nodemailer';
import { SsprError } from '../../domain/errors';
import type { CodeMessage, CodeSender, NotificationMessage, Notifier } from '../../domain/ports/codeSender';
import { codeMessageText, notificationText } from './messageText';

export interface SmtpOptions {
  /** smtp:// or smtps:// URL (config SMTP_URL). */
  readonly url: string;
  /** From header (config MAIL_FROM). */
  readonly from: string;
  /** Socket/greeting timeouts in ms. */
  readonly timeoutMs?: number;
  /** Extra nodemailer transport options (tests: tls settings). */
  readonly transport?: Record<string, unknown>;
}

const oneLine = (s: string): string => s.replace(/[\r\n]+/g, ' ');

/**
 * E-mail through SMTP with nodemailer: localised subject and body with the code and its lifetime and nothing else
 * secret; notifications (R18) through the same transport. No automatic retry (F15).
 */
export class SmtpCodeSender implements CodeSender, Notifier {
  private readonly transporter: Transporter;

  constructor(private readonly options: SmtpOptions) {
    const timeout = options.timeoutMs ?? 10_000;
    const u = new URL(options.url);
    const secure = u.protocol === 'smtps:';
    this.transporter = nodemailer.createTransport({
      host: u.hostname,
      port: u.port ? Number(u.port) : secure ? 465 : 587,
      secure,
      ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      ...options.transport,
    });
  }

  async send(m: CodeMessage): Promise<void> {
    if (m.channel !== 'email') throw new SsprError('sender_failed', 'SMTP sender only handles the email channel');
    const { subject, text } = codeMessageText(m);
    await this.deliver(m.destination, subject ?? '', text);
  }

  async notify(m: NotificationMessage): Promise<void> {
    if ((m.channel ?? 'email') !== 'email') throw new SsprError('sender_failed', 'SMTP sender only handles e-mail notices');
    const { subject, text } = notificationText(m);
    await this.deliver(m.to, subject ?? '', text);
  }

  private async deliver(to: string, subject: string, text: string): Promise<void> {
    if (/[\r\n]/.test(to)) throw new SsprError('invalid_input', 'recipient contains a line break');
    try {
      await this.transporter.sendMail({ from: this.options.from, to, subject: oneLine(subject), text });
    } catch (cause) {
      // The cause may quote the SMTP dialogue; callers log only the code.
      throw new SsprError('sender_failed', 'SMTP delivery failed', { cause });
    }
  }

  close(): void {
    this.transporter.close();
  }
}
