import { checkPassword, nameTerms, passwordRules, passwordReasonKey, type PasswordCheckContext } from '../../../domain/policy/passwordPolicy';
import { scoreBannedTerms, normalizeForBannedCheck, boundedEditDistance } from '../../../domain/policy/bannedTerms';
import { DEFAULT_POLICY } from '../../../domain/policy/policy';
import type { DirectoryCapabilities } from '../../../domain/ports/directory';
import { loadCommonPasswords } from '../../../adapters/password/commonPasswordList';
import { createZxcvbnStrength } from '../../../adapters/password/zxcvbnStrength';
import { t } from '../../../locales';

const memoryCaps: DirectoryCapabilities = {
  kind: 'memory',
  canUnlock: true,
  passwordMinLength: 8,
  passwordMaxLength: 256,
  requiresThreeOfFourClasses: false,
  asciiOnly: false,
};
const entraCaps: DirectoryCapabilities = { ...memoryCaps, kind: 'graph', canUnlock: false, requiresThreeOfFourClasses: true, asciiOnly: true };

let common: ReadonlySet<string>;
beforeAll(async () => {
  common = await loadCommonPasswords();
});

function ctx(over: Partial<PasswordCheckContext> = {}): PasswordCheckContext {
  return {
    policy: { ...DEFAULT_POLICY.password, organisationName: 'Contoso', bannedTerms: ['blank', 'fabrikam'] },
    capabilities: memoryCaps,
    user: { displayName: 'Megan Bowen', givenName: 'Megan', surname: 'Bowen', userPrincipalName: 'megan.bowen@contoso.example' },
    commonPasswords: common,
    ...over,
  };
}

describe('password policy (R14)', () => {
  test('R14: a long unrelated passphrase is accepted with no reasons', () => {
    const r = checkPassword('lamp canal violet thunder', ctx());
    expect(r).toMatchObject({ ok: true, reasons: [] });
  });

  test.each([
    ['', 'too_short'],
    ['x', 'too_short'],
    ['Ab3$xyz', 'too_short'],
  ])('R14: %j is too_short', (pw, reason) => {
    expect(checkPassword(pw, ctx()).reasons).toContain(reason);
  });

  test('R14: length bounds 8–256 from the directory: 255 and 256 accepted, 257 and 10,000 refused', () => {
    const make = (n: number) => 'Tq7#vLm2'.repeat(Math.ceil(n / 8)).slice(0, n);
    // Repeats are fine for the length rule; the check must not choke on them.
    expect(checkPassword(make(255), ctx()).reasons).not.toContain('too_long');
    expect(checkPassword(make(256), ctx()).reasons).not.toContain('too_long');
    expect(checkPassword(make(257), ctx()).reasons).toEqual(['too_long']);
    expect(checkPassword(make(10_000), ctx()).reasons).toEqual(['too_long']);
  });

  test('R14: the stricter bound of policy and directory applies', () => {
    const rules = passwordRules({ ...DEFAULT_POLICY.password, minLength: 12 }, { ...memoryCaps, passwordMaxLength: 127 });
    expect(rules).toMatchObject({ minLength: 12, maxLength: 127 });
    expect(checkPassword('orchid-lantern', ctx({ capabilities: { ...memoryCaps, passwordMinLength: 16 } })).reasons).toEqual(['too_short']);
  });

  test('R14: NUL and other control characters are refused', () => {
    expect(checkPassword('orchid\u0000lantern', ctx()).reasons).toEqual(['control_chars']);
    expect(checkPassword('orchid\nlantern river', ctx()).reasons).toEqual(['control_chars']);
    expect(checkPassword('orchid\tlantern river', ctx()).reasons).toEqual(['control_chars']);
  });

  test('R14: non-ASCII is refused for Entra only, and Entra needs three of four classes', () => {
    expect(checkPassword('ijsbeer-café-Tulp9', ctx()).ok).toBe(true);
    expect(checkPassword('ijsbeer-café-Tulp9', ctx({ capabilities: entraCaps })).reasons).toEqual(['non_ascii']);
    expect(checkPassword('orchid lantern river', ctx({ capabilities: entraCaps })).reasons).toEqual(['needs_three_classes']);
    expect(checkPassword('Orchid lantern river', ctx({ capabilities: entraCaps })).ok).toBe(true);
    // No composition rules of our own beyond the directory's.
    expect(checkPassword('orchid lantern river', ctx()).ok).toBe(true);
  });

  test('R14: common and breached passwords are refused, including a common word with digits/symbols added', () => {
    for (const pw of ['password1', 'Password123', 'qwertyuiop', 'Summer2024!', 'welkom123', '1q2w3e4r5t', 'P@ssw0rd']) {
      expect(checkPassword(pw, ctx()).reasons).toContain('common');
    }
  });

  test('R14: the common list can be a lookup function', () => {
    const r = checkPassword('orchid lantern river', ctx({ commonPasswords: (p) => p === 'orchid lantern river' }));
    expect(r.reasons).toEqual(['common']);
  });

  test('R14: banned terms are scored the Entra way (normalise, edit distance 1, < 5 points fails)', () => {
    // Entra's documented examples, with banned terms "contoso" (organisation) and "blank".
    expect(scoreBannedTerms('ContosoBlank12', ['contoso', 'blank'])).toEqual({ points: 4, termsFound: 2 });
    expect(scoreBannedTerms('C0ntos0Blank12', ['contoso', 'blank']).points).toBe(4);
    expect(scoreBannedTerms('ContosoBlank!xyz', ['contoso', 'blank']).points).toBe(6);
    // Edit distance one: a typo still counts as the term.
    expect(scoreBannedTerms('Cuntoso!1', ['contoso'])).toEqual({ points: 3, termsFound: 1 });
    expect(scoreBannedTerms('F@brikam2', ['fabrikam'])).toEqual({ points: 2, termsFound: 1 });

    const refused = checkPassword('C0ntos0Blank12', ctx());
    expect(refused.reasons).toContain('banned_term');
    expect(checkPassword('fabr1kam!!', ctx()).reasons).toContain('banned_term');
    // Enough own characters around a banned term: 1 + 13 points, not a banned_term refusal.
    expect(checkPassword('fabrikam violet thunder', ctx()).reasons).not.toContain('banned_term');
  });

  test('R14: normalisation and edit distance helpers', () => {
    expect(normalizeForBannedCheck('P@$$W0RD1')).toBe('passwordl');
    expect(boundedEditDistance([...'contoso'], [...'contosa'], 1)).toBe(1);
    expect(boundedEditDistance([...'contoso'], [...'cantosa'], 1)).toBe(2);
  });

  test("R14: the user's names, UPN parts and the organisation name are refused (terms of 4+ characters)", () => {
    expect(checkPassword('violet-Megan-thunder', ctx()).reasons).toContain('contains_name');
    expect(checkPassword('violet-b0wen-thunder', ctx()).reasons).toContain('contains_name');
    expect(checkPassword('thunder contoso violet', ctx()).reasons).toContain('contains_name');
    expect(nameTerms({ displayName: 'Li Wu', userPrincipalName: 'li.wu@contoso.example' }, 'Contoso')).toEqual(expect.arrayContaining(['contoso', 'liwu']));
    // A 2-letter surname is not a name term.
    expect(checkPassword('violet wu thunder', ctx({ user: { displayName: 'Li Wu', userPrincipalName: 'li.wu@contoso.example' } })).ok).toBe(true);
  });

  test('R14: the confirmation must match', () => {
    expect(checkPassword('lamp canal violet thunder', ctx({ confirmation: 'lamp canal violet thunder' })).ok).toBe(true);
    expect(checkPassword('lamp canal violet thunder', ctx({ confirmation: 'lamp canal violet thunde' })).reasons).toEqual(['mismatch']);
  });

  test('R14: every applicable reason is returned, in a stable order', () => {
    // "megan" is also a common password on the shipped list.
    const r = checkPassword('megan\u0001é', ctx({ capabilities: entraCaps, confirmation: 'x' }));
    expect(r.reasons).toEqual(['too_short', 'control_chars', 'non_ascii', 'needs_three_classes', 'common', 'contains_name', 'mismatch']);
    expect(r.ok).toBe(false);
  });

  test('R14: advice recommends 15+ characters and uses zxcvbn strength; nothing in the result echoes the password', () => {
    const strength = createZxcvbnStrength();
    const weak = checkPassword('Orchid1!', ctx({ strength }));
    expect(weak.advice).toContain('password.advice.recommendLength');
    const strong = checkPassword('lamp canal violet thunder', ctx({ strength }));
    expect(strong.advice).toEqual([]);
    expect(strong.score).toBe(4);
    for (const pw of ['Orchid1!', 'megan2024', 'ContosoBlank12']) {
      expect(JSON.stringify(checkPassword(pw, ctx({ strength })))).not.toContain(pw.slice(0, 5));
    }
  });

  test('R14: every reason and advice has text in en and nl', () => {
    const reasons = ['too_short', 'too_long', 'control_chars', 'non_ascii', 'needs_three_classes', 'common', 'banned_term', 'contains_name', 'mismatch'] as const;
    const keys = [...reasons.map(passwordReasonKey), 'password.advice.recommendLength', 'password.advice.weak', 'password.advice.passphrase', 'password.rules', 'password.rules.entra'];
    for (const k of keys) {
      for (const lang of ['en', 'nl'] as const) expect(t(lang, k, { min: 8, max: 256, recommended: 15 })).not.toBe(k);
      expect(t('nl', k)).not.toBe(t('en', k));
    }
  });
});
