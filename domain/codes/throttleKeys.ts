import type { CodeChannel } from '../model/methods';

const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * The one canonical form of a destination for every throttle and destination cap key (R33). A mailbox is one
 * mailbox however it is spelled: the address is lower-cased and a `+tag` is removed from the local part
 * (`Jan.Jansen+x@Contoso.example` and `jan.jansen@contoso.example` share one cap), in Unicode NFC (a composed and a
 * decomposed accent are one spelling; accents are never dropped: `jose@` and `josé@` are two mailboxes). A phone number must already be
 * E.164 (the DestinationGuard's normalise gives it); anything else is refused here, so a formatting variant can never
 * open a fresh counter.
 *
 * The canonical form is only a key: codes are still sent to the address as registered.
 */
export function canonicalDestination(channel: CodeChannel, value: string): string {
  if (channel === 'email') {
    // NFC first and last: "é" and "e" + combining accent are one character to a mail system (RFC 6532), and
    // lower-casing may leave a decomposed sequence.
    const a = value.trim().normalize('NFC').toLowerCase().normalize('NFC');
    const at = a.lastIndexOf('@');
    if (at <= 0) throw new Error('canonicalDestination: not an e-mail address');
    const local = a.slice(0, at);
    const plus = local.indexOf('+');
    return `${plus > 0 ? local.slice(0, plus) : local}@${a.slice(at + 1)}`;
  }
  if (!E164.test(value)) throw new Error('canonicalDestination: not an E.164 number');
  return value;
}

/** Characters ("+" included) of an E.164 number that name its shared per-prefix velocity bucket (R30). */
export const PHONE_PREFIX_LENGTH = 6;

/** The shared velocity bucket of an E.164 number (R30): "+" and the first digits, never the whole number. */
export function phonePrefix(e164: string): string {
  const canonical = canonicalDestination('sms', e164);
  return canonical.slice(0, Math.min(canonical.length, PHONE_PREFIX_LENGTH));
}
