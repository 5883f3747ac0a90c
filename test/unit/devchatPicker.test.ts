/**
 * The local chat page's picker lists each demo user as "Name — state, state" (web/devchat/main.ts, optionLabel).
 * States that can hold at the same time must not share a word, or the line says it twice ("geblokkeerd,
 * verificatie geblokkeerd" for a locked-out user whose verification is blocked too).
 */
import { rawText, type Locale } from '../../locales';

/** What the server reports (bot/devchannel): "registered" and "unregistered" exclude each other, the rest combine. */
const STATES = ['admin', 'helpdesk', 'disabled', 'locked', 'blocked', 'unregistered', 'registered'] as const;

const words = (s: string): string[] => s.toLowerCase().match(/\p{L}{3,}/gu) ?? [];

describe('issue 11 item 1: the demo-user picker names each state in its own words', () => {
  for (const lang of ['en', 'nl'] as Locale[])
    test(`${lang}: no two states that can hold together share a word`, () => {
      const clashes: string[] = [];
      for (const a of STATES)
        for (const b of STATES) {
          if (a >= b || (a.endsWith('registered') && b.endsWith('registered'))) continue;
          const wa = words(rawText(lang, `devchat.state.${a}`) ?? '');
          const wb = words(rawText(lang, `devchat.state.${b}`) ?? '');
          expect(wa.length).toBeGreaterThan(0);
          const shared = wa.filter((w) => wb.includes(w));
          if (shared.length) clashes.push(`${a} + ${b}: ${shared.join(', ')}`);
        }
      expect(clashes).toEqual([]);
    });
});
