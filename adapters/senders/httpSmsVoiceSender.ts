import { SsprError } from '../../domain/errors';
import type { CodeMessage, CodeSender, NotificationMessage, Notifier } from '../../domain/ports/codeSender';
import { codeMessageText, notificationText } from './messageText';

export interface SmsVoiceOptions {
  /** API base URL, e.g. https://api.twilio.com (config SMS_API_BASE_URL). */
  readonly baseUrl: string;
  readonly accountSid: string;
  readonly authToken: string;
  /** Sender number (E.164) or alphanumeric sender id. */
  readonly from: string;
  readonly timeoutMs?: number;
}

const escapeXml = (s: string): string =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);

/**
 * SMS and voice through a Twilio-compatible REST API: `POST {base}/2010-04-01/Accounts/{sid}/Messages.json`
 * (To, From, Body) and `…/Calls.json` (To, From, Twiml speaking the digits twice), form-encoded, HTTP Basic auth.
 * One attempt with a timeout; no automatic retry (F15).
 */
export class HttpSmsVoiceSender implements CodeSender, Notifier {
  constructor(private readonly options: SmsVoiceOptions) {}

  /** A notice by SMS (a replaced or removed phone is told on its own channel, R19/R31). */
  async notify(m: NotificationMessage): Promise<void> {
    if (m.channel !== 'sms') throw new SsprError('sender_failed', 'SMS sender only handles SMS notices');
    const form = new URLSearchParams({ To: m.to, From: this.options.from, Body: notificationText(m).text });
    await this.post('Messages', form);
  }

  async send(m: CodeMessage): Promise<void> {
    if (m.channel === 'email') throw new SsprError('sender_failed', 'SMS/voice sender does not handle e-mail');
    const form = new URLSearchParams({ To: m.destination, From: this.options.from });
    let resource: 'Messages' | 'Calls';
    if (m.channel === 'sms') {
      resource = 'Messages';
      form.set('Body', codeMessageText(m).text);
    } else {
      resource = 'Calls';
      const say = escapeXml(codeMessageText(m).text);
      const lang = m.locale === 'nl' ? 'nl-NL' : 'en-GB';
      form.set('Twiml', `<Response><Say language="${lang}">${say}</Say><Pause length="1"/><Say language="${lang}">${say}</Say></Response>`);
    }
    await this.post(resource, form);
  }

  private async post(resource: 'Messages' | 'Calls', form: URLSearchParams): Promise<void> {
    const base = this.options.baseUrl.replace(/\/+$/, '');
    const url = `${base}/2010-04-01/Accounts/${encodeURIComponent(this.options.accountSid)}/${resource}.json`;
    const auth = Buffer.from(`${this.options.accountSid}:${this.options.authToken}`).toString('base64');
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Basic ${auth}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
    } catch (cause) {
      throw new SsprError('sender_failed', `${resource} request failed`, { cause });
    }
    // Drain the body; never echo it (it may contain the message text).
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new SsprError('sender_failed', `${resource} request refused with HTTP ${res.status}`);
  }
}
