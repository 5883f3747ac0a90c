import { DEFAULT_POLICY, type Policy } from '../../../domain/policy/policy';
import {
  distinctMethods,
  nextChoices,
  registrationSufficient,
  requiredMethodCount,
  usableMethods,
} from '../../../domain/verification/methodRules';
import { confirmed } from '../../support/recoveryFakes';

const withQuestions: Policy = {
  ...DEFAULT_POLICY,
  methods: { ...DEFAULT_POLICY.methods, enabled: [...DEFAULT_POLICY.methods.enabled, 'securityQuestions'] },
};
const onePolicy: Policy = { ...withQuestions, methods: { ...withQuestions.methods, requiredForReset: 1 } };
const ids = (ms: { id: string }[]): string[] => ms.map((m) => m.id).sort();

describe('method rules', () => {
  test('R4: two methods must be of different kinds', () => {
    const a = confirmed('e1', 'email');
    const b = confirmed('e2', 'email');
    expect(distinctMethods(a, b)).toBe(false);
    expect(registrationSufficient([a, b], DEFAULT_POLICY, false)).toBe(false);
    expect(registrationSufficient([a, confirmed('app', 'authenticatorApp')], DEFAULT_POLICY, false)).toBe(true);
  });

  test('R4: SMS/voice on a mobile and the office phone with the same number count as one', () => {
    const mobile = confirmed('m', 'mobilePhone', { phoneKey: 'h1' });
    const office = confirmed('o', 'officePhone', { phoneKey: 'h1' });
    expect(distinctMethods(mobile, office)).toBe(false);
    expect(registrationSufficient([mobile, office], DEFAULT_POLICY, false)).toBe(false);
    const otherOffice = confirmed('o2', 'officePhone', { phoneKey: 'h2' });
    expect(registrationSufficient([mobile, otherOffice], DEFAULT_POLICY, false)).toBe(true);
    // after proving the mobile, the same number on the office phone is not offered as the second method
    expect(ids(nextChoices([mobile, office, confirmed('e', 'email')], ['m'], 2))).toEqual(['e']);
  });

  test('R4: security questions never count as the only method', () => {
    const q = confirmed('q', 'securityQuestions');
    expect(registrationSufficient([q], onePolicy, false)).toBe(false);
    expect(nextChoices([q, confirmed('e', 'email')], [], 1).map((m) => m.id)).toEqual(['e']);
  });

  test('R4: security questions are never the possession method of a pair', () => {
    const q = confirmed('q', 'securityQuestions');
    const e = confirmed('e', 'email');
    // questions + email is a valid pair; questions alone (twice impossible) is not
    expect(registrationSufficient([q, e], withQuestions, false)).toBe(true);
    expect(ids(nextChoices([q, e], [], 2))).toEqual(['e', 'q']);
    expect(ids(nextChoices([q, e], ['q'], 2))).toEqual(['e']);
    expect(ids(nextChoices([q, e], ['e'], 2))).toEqual(['q']);
  });

  test('R4: unconfirmed methods and kinds the policy does not enable are not usable', () => {
    const pending = { ...confirmed('m', 'mobilePhone'), confirmedAt: null };
    const q = confirmed('q', 'securityQuestions');
    expect(usableMethods([pending, q, confirmed('e', 'email')], DEFAULT_POLICY, false).map((m) => m.id)).toEqual(['e']);
  });

  test('R3: privileged users need two methods and may not use security questions', () => {
    expect(requiredMethodCount(onePolicy, true)).toBe(2);
    expect(requiredMethodCount(onePolicy, false)).toBe(1);
    const q = confirmed('q', 'securityQuestions');
    const e = confirmed('e', 'email');
    expect(usableMethods([q, e], withQuestions, true).map((m) => m.id)).toEqual(['e']);
    expect(registrationSufficient([q, e], onePolicy, true)).toBe(false);
    expect(registrationSufficient([q, e], onePolicy, false)).toBe(true);
  });
});
