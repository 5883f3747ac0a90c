import { catalogKeys, rawText, resolveLocale, t } from '../../locales';

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
});
