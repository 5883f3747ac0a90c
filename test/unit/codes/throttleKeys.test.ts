import { canonicalDestination, phonePrefix } from '../../../domain/codes/throttleKeys';

describe('R33: canonical throttle keys', () => {
  test('R33: an e-mail address is lower-cased and loses its +tag, so case and tag variants are one mailbox', () => {
    const one = canonicalDestination('email', 'jan.jansen@contoso.example');
    for (const v of ['Jan.Jansen@Contoso.Example', 'jan.jansen+x@contoso.example', 'JAN.JANSEN+Promo+2@CONTOSO.EXAMPLE', ' jan.jansen+@contoso.example ']) {
      expect(canonicalDestination('email', v)).toBe(one);
    }
    expect(canonicalDestination('email', 'jan.jansen2@contoso.example')).not.toBe(one);
    // A leading "+" is a local part of its own, not a tag.
    expect(canonicalDestination('email', '+jan@contoso.example')).toBe('+jan@contoso.example');
  });

  test('R33: a phone key is E.164 only; anything else is refused, never a fresh counter', () => {
    expect(canonicalDestination('sms', '+31612345678')).toBe('+31612345678');
    expect(canonicalDestination('voice', '+31201234567')).toBe('+31201234567');
    for (const v of ['0612345678', '+31 6 12345678', '0031612345678', '+31-612345678']) expect(() => canonicalDestination('sms', v)).toThrow();
    expect(phonePrefix('+31612345678')).toBe('+31612');
  });
});
