import type { CodeMessage, NotificationMessage } from '../../domain/ports/codeSender';
import { t } from '../../locales';
import { namedTime } from '../../locales/times';

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
export function codeMessageText(m: CodeMessage, now: number = Date.now()): MessageText {
  const params = { code: m.code, minutes: m.lifetimeMinutes };
  if (m.channel === 'email') {
    // A mail can be read long after it was sent: it says until when (the reader's zone, named), not only how long.
    const until = namedTime({ locale: m.locale, tag: m.localeTag }, now + m.lifetimeMinutes * 60_000, m.timeZone);
    return { subject: t(m.locale, 'mail.code.subject'), text: t(m.locale, `mail.code.body.${m.purpose}`, { ...params, until }) };
  }
  if (m.channel === 'sms') return { text: t(m.locale, 'sms.code.body', params) };
  return { text: t(m.locale, 'voice.code.say', { digits: m.code.split('').join(', '), minutes: m.lifetimeMinutes }) };
}


/**
 * The words of a notification (R18) — an e-mail, or an SMS when `channel` says so (a replaced or removed phone is
 * told on its own channel, R19/R31). `when` defaults to the sending time, in the reader's zone (`timeZone`; UTC without
 * it) and with the zone named, `change` to the generic description
 * or, for security-info notices, to what changed (kind and masked destination — never a clear one); parameter values
 * are kept on one line.
 */
/** What changed, in words: the method kind and its masked destination, never a clear one ("e-mail address m•••@x was added"). */
export function changeText(locale: NotificationMessage['locale'], c: NotificationMessage['change']): string {
  if (!c?.kind) return t(locale, 'mail.methodsChanged.generic');
  const kind = t(locale, `securityInfo.kindInline.${c.kind}`);
  return t(locale, `notice.change.${c.action}`, { method: c.maskedDestination ? `${kind} ${c.maskedDestination}` : kind });
}

export function notificationText(m: NotificationMessage, now: number = Date.now()): MessageText {
  const c = m.change;
  const reader = { locale: m.locale, tag: m.localeTag };
  const params = {
    when: namedTime(reader, now, m.timeZone, { date: true }),
    change: changeText(m.locale, c),
    ...(c?.usableFrom !== undefined ? { usableFrom: namedTime(reader, c.usableFrom, m.timeZone, { date: true }) } : {}),
    ...Object.fromEntries(Object.entries(m.params).map(([k, v]) => [k, oneLine(v)])),
  };
  if (m.channel === 'sms') return { text: oneLine(t(m.locale, `sms.${m.template}.body`, params)) };
  return { subject: t(m.locale, `mail.${m.template}.subject`), text: t(m.locale, `mail.${m.template}.body`, params) };
}
