import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { methodName } from '../../cards/securityInfo/view';
import { catalogKeys, rawText, resolveLocale, t, translator } from '../../locales';


const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();

describe('locales', () => {
  test('every key exists in English and Dutch', () => {
    const en = new Set(catalogKeys('en'));
    const nl = new Set(catalogKeys('nl'));
    expect([...en].filter((k) => !nl.has(k))).toEqual([]);
    expect([...nl].filter((k) => !en.has(k))).toEqual([]);
  });

  test('every text has the same placeholders in both languages and is not empty', () => {
    const problems: string[] = [];
    for (const k of catalogKeys('en')) {
      const en = rawText('en', k) ?? '';
      const nl = rawText('nl', k) ?? '';
      if (!en.trim() || !nl.trim()) problems.push(`${k}: empty`);
      if (placeholders(en).join() !== placeholders(nl).join()) problems.push(`${k}: {${placeholders(en).join()}} vs {${placeholders(nl).join()}}`);
    }
    expect(problems).toEqual([]);
  });

  test('nl-* is Dutch, anything else English', () => {
    expect(resolveLocale('nl-NL')).toBe('nl');
    expect(resolveLocale('nl-BE')).toBe('nl');
    expect(resolveLocale('nl')).toBe('nl');
    expect(resolveLocale('en-US')).toBe('en');
    expect(resolveLocale('de-DE')).toBe('en');
    expect(resolveLocale(undefined)).toBe('en');
    expect(resolveLocale('nlx')).toBe('en');
  });

  test('placeholders are filled', () => {
    expect(t('en', 'error.unavailable', { ref: 'ab12' })).toContain('ab12');
    expect(t('nl', 'error.unavailable', { ref: 'ab12' })).toContain('ab12');
  });

  test('issue 11 item 5: no pseudo-plurals such as "method(s)" or "methode(n)" — plurals come from the catalog', () => {
    const bad = (['en', 'nl'] as const).flatMap((l) => catalogKeys(l).filter((k) => /\w\((s|n|en|es)\)/.test(rawText(l, k) ?? '')).map((k) => `${l} ${k}`));
    expect(bad).toEqual([]);
  });

  test('issue 11 item 5: a method inside a sentence is in sentence case ("Confirm your mobile phone", "Bevestig je mobiele telefoon")', () => {
    expect(t('en', 'securityInfo.code.title', { method: methodName(translator('en'), 'mobilePhone') })).toBe('Confirm your mobile phone');
    expect(t('nl', 'securityInfo.code.title', { method: methodName(translator('nl'), 'mobilePhone') })).toBe('Bevestig je mobiele telefoon');
    expect(t('en', 'securityInfo.remove.title', { method: methodName(translator('en'), 'recoveryCodes') })).toBe('Remove your recovery codes?');
    for (const k of catalogKeys('en').filter((x) => x.startsWith('securityInfo.kind.'))) {
      const inline = k.replace('securityInfo.kind.', 'securityInfo.kindInline.');
      for (const l of ['en', 'nl'] as const) expect(rawText(l, inline)).toBe((rawText(l, k) ?? '').toLowerCase());
    }
  });

  test('issue 11 item 5: "wasn\'t this you?" only in messages to other channels, never to the person who just acted in the chat', () => {
    const NOT_YOU = /wasn't (this |it )?you|if this wasn't you|was jij dit niet|was jij het niet|heb jij dit niet/i;
    const toTheActor = ['recovery.resetDone', 'recovery.unlockDone', 'securityInfo.saved', 'securityInfo.removed', 'web.password.done', 'web.password.chat.done'];
    for (const e of ['password_reset', 'account_unlocked', 'methods_changed', 'methods_bootstrap']) toTheActor.push(`notify.${e}.title`, `notify.${e}.body`);
    const toOthers = ['mail.methodsChanged.body', 'mail.passwordReset.body', 'mail.accountUnlocked.body', 'mail.methodsBootstrap.body', 'sms.methodsChanged.body'];
    for (const l of ['en', 'nl'] as const) {
      expect(toTheActor.filter((k) => NOT_YOU.test(rawText(l, k) ?? ''))).toEqual([]);
      expect(toOthers.filter((k) => !NOT_YOU.test(rawText(l, k) ?? ''))).toEqual([]);
    }
  });

  test('issue 11 item 5: one helpdesk sentence — "someone will get in touch", not also "call extension …" ({contact})', () => {
    for (const l of ['en', 'nl'] as const) {
      const sent = rawText(l, 'helpdesk.talk.sent') ?? '';
      const already = rawText(l, 'helpdesk.talk.already') ?? '';
      expect(sent).not.toContain('{contact}');
      expect(already).not.toContain('{contact}');
      const promise = l === 'en' ? 'Someone from the helpdesk will get in touch with you, usually in Teams or by phone' : 'Iemand van de helpdesk neemt contact met je op, meestal via Teams of telefonisch';
      expect(sent).toContain(promise);
      expect(already.toLowerCase()).toContain(promise.toLowerCase());
    }
  });

  test('issue 11 item 5: the Dutch pass — informal "je" throughout, one word for each thing, none of the reported phrases', () => {
    const REPORTED = [
      /Nog één, van een ander soort/, // verify.nextMethod
      /Bel \{dest\} met een code/, // read as "you call •••21"
      /bewijzen dat jij het bent|\bbewijs eerst\b/i, // "laten zien dat jij het bent"
      /\bgewist\b/, // the cleared cards are "leeggemaakt"
      /\bmethodes\b/, // "methoden", like everywhere else
      /Password Reset Assistant/, // the Dutch app is called Wachtwoordassistent
      /\b(u|uw|U|Uw)\b/, // formal address
      /\*\*annuleer\*\*/, // the cancel word is "annuleren"
    ];
    const bad = catalogKeys('nl').flatMap((k) => REPORTED.filter((re) => re.test(rawText('nl', k) ?? '')).map((re) => `${k} ~ ${re.source}`));
    expect(bad).toEqual([]);
  });

  describe('issue 11 item 5: buttons', () => {
    /** Keys that label a button: every `submit(t('…'))` in the cards, dialogs and bot, and the families built from a variable. */
    const source = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => {
        const p = join(dir, f);
        return statSync(p).isDirectory() ? source(p) : p.endsWith('.ts') ? [readFileSync(p, 'utf8')] : [];
      });
    const root = join(__dirname, '..', '..');
    const fromCode = ['cards', 'dialogs', 'bot']
      .flatMap((d) => source(join(root, d)))
      .flatMap((code) => [
        ...[...code.matchAll(/submit\(\s*(?:v\.|view\.)?t\(\s*'([^']+)'/g)].map((m) => m[1]!),
        // submit(t(cond ? 'a' : 'b'), …)
        ...[...code.matchAll(/submit\(\s*(?:v\.|view\.)?t\([^()']*\?\s*'([^']+)'\s*:\s*'([^']+)'/g)].flatMap((m) => [m[1]!, m[2]!]),
      ]);
    const families = catalogKeys('en').filter((k) => /^(verify\.method\.|precheck\.action\.)/.test(k) || /^menu\.(?!title)/.test(k));
    const pages = ['web.password.show', 'web.password.hide', 'web.password.submit', 'web.authenticator.confirm', 'web.authenticator.copy', 'web.securityInfo.remove', 'web.securityInfo.reconfirm', 'web.securityInfo.check', 'web.securityInfo.confirmYes', 'web.securityInfo.cancel', 'devchat.restart', 'devchat.dialog.close', 'devchat.webchat.send'];
    const buttons = [...new Set([...fromCode, ...families, ...pages])].sort();
    /** Dutch imperatives a button could start with; the Dutch buttons use the infinitive ("Mijn account ontgrendelen"). */
    const IMPERATIVE = new Set('stuur bel mail controleer registreer probeer praat herstel wijzig ontgrendel herinner stop neem verwijder bevestig kies sla voeg toon verberg kopieer annuleer sluit begin verstuur gebruik voer beantwoord start weiger open ga vraag laat stel'.split(' '));
    /** Labels that are no action verb at all (a place, a statement). */
    const NOT_A_VERB = new Set(['Verder', 'Terug', 'Klaar', 'Help', 'Ik ben mijn wachtwoord vergeten', 'Mijn beveiligingsgegevens', 'Ik heb ze bewaard', 'Dit was ik niet', 'Terug naar het menu']);

    test('the button list is found (not vacuous)', () => {
      expect(buttons.length).toBeGreaterThan(40);
      expect(buttons).toEqual(expect.arrayContaining(['verify.code.resend', 'securityInfo.action.save', 'menu.unlock', 'campaign.snooze1', 'securityInfo.page.openRecoveryCodes']));
    });

    test('every Dutch button is an infinitive — none starts with an imperative, each names its verb', () => {
      const bad = buttons.filter((k) => {
        const nl = (rawText('nl', k) ?? '').replace(/\{\w+\}/g, '').replace(/\(.*?\)/g, '').trim();
        if (NOT_A_VERB.has(nl)) return false;
        const first = nl.split(/[\s,]+/)[0]!.toLowerCase();
        const words = nl.toLowerCase().split(/[^\p{L}-]+/u);
        return IMPERATIVE.has(first) || !words.some((w) => /(en|aan|oen|ien)$/.test(w) && !['een', 'geen'].includes(w));
      });
      expect(bad.map((k) => `${k}: ${rawText('nl', k)}`)).toEqual([]);
    });

    test('every English button is in sentence case', () => {
      const bad = buttons.filter((k) =>
        (rawText('en', k) ?? '')
          .replace(/\{\w+\}/g, '')
          .split(/\s+/)
          .slice(1)
          .some((w) => /^[A-Z]/.test(w) && !/^(I|I'm|Teams|IT)\b/.test(w)),
      );
      expect(bad.map((k) => `${k}: ${rawText('en', k)}`)).toEqual([]);
    });
  });
});
