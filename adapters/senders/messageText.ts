import type { CodeMessage, NotificationMessage } from '../../domain/ports/codeSender';
import { t } from '../../locales';

/** What one message says: the e-mail subject (e-mail only) and the text as the recipient reads or hears it. */
export interface MessageText {
  readonly subject?: string;
  readonly text: string;
}

const oneLine = (s: string): string => s.replace(/[\r\n]+/g, ' ');

/**
 * The words of a code message, one place for every sender (SMTP, SMS/voice, the development outbox), so what the
 * local chat page shows is what a real phone or mailbox would get.
 */
export function codeMessageText(m: CodeMessage): MessageText {
  const params = { code: m.code, minutes: m.lifetimeMinutes };
  if (m.channel === 'email') return { subject: t(m.locale, 'mail.code.subject'), text: t(m.locale, `mail.code.body.${m.purpose}`, params) };
  if (m.channel === 'sms') return { text: t(m.locale, 'sms.code.body', params) };
  return { text: t(m.locale, 'voice.code.say', { digits: m.code.split('').join(', '), minutes: m.lifetimeMinutes }) };
}

/**
 * The words of a notification e-mail (R18). `when` defaults to the sending time in UTC (an e-mail has no time
 * zone of its reader), `change` to the generic description; parameter values are kept on one line.
 */
export function notificationText(m: NotificationMessage, now: number = Date.now()): MessageText {
  const when = new Intl.DateTimeFormat(m.locale === 'nl' ? 'nl-NL' : 'en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(now);
  const params = {
    when: `${when} UTC`,
    change: t(m.locale, 'mail.methodsChanged.generic'),
    ...Object.fromEntries(Object.entries(m.params).map(([k, v]) => [k, oneLine(v)])),
  };
  return { subject: t(m.locale, `mail.${m.template}.subject`), text: t(m.locale, `mail.${m.template}.body`, params) };
}
