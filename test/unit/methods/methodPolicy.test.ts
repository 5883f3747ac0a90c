import { DEFAULT_POLICY, type Policy } from '../../../domain/policy/policy';
import { assessMethods, needsReconfirmation, removalWouldBreakReset, requiresProofBeforeChange } from '../../../domain/methods/methodPolicy';
import { maskEmail, maskPhone, type RegisteredMethod } from '../../../domain/methods/registeredMethod';
import type { MethodKind } from '../../../domain/model/methods';

const DAY = 86_400_000;
const withQuestions: Policy = { ...DEFAULT_POLICY, methods: { ...DEFAULT_POLICY.methods, enabled: [...DEFAULT_POLICY.methods.enabled, 'securityQuestions'] } };
const one: Policy = { ...withQuestions, methods: { ...withQuestions.methods, requiredForReset: 1 } };
let n = 0;
const m = (kind: MethodKind, over: Partial<RegisteredMethod> = {}): RegisteredMethod => ({
  id: `m${++n}`,
  kind,
  confirmedAt: 1000,
  lastUsedAt: null,
  createdAt: 1000,
  source: 'user',
  channels: [],
  ...over,
});

test('R4: two confirmed methods of different kinds are enough when 2 are required', () => {
  expect(assessMethods([m('mobilePhone', { destinationId: 'a' }), m('email', { destinationId: 'b' })], withQuestions).enough).toBe(true);
});

test('R4: two methods of the same kind count as one', () => {
  expect(assessMethods([m('email', { destinationId: 'a' }), m('email', { destinationId: 'b' })], withQuestions)).toMatchObject({ enough: false, counted: 1 });
});

test('R4: a mobile and an office phone with the same number count as one', () => {
  const r = assessMethods([m('mobilePhone', { destinationId: 'same' }), m('officePhone', { destinationId: 'same' })], withQuestions);
  expect(r).toMatchObject({ enough: false, counted: 1 });
});

test('R4: security questions are never the only method nor the possession method', () => {
  expect(assessMethods([m('securityQuestions')], one)).toMatchObject({ enough: false, hasPossession: false });
  expect(assessMethods([m('securityQuestions'), m('recoveryCodes')], withQuestions).enough).toBe(true);
  expect(assessMethods([m('email', { destinationId: 'x' })], one).enough).toBe(true);
});

test('R4/R3: privileged users need two methods and questions do not count', () => {
  expect(assessMethods([m('email'), m('securityQuestions')], one, { privileged: true }).enough).toBe(false);
  expect(assessMethods([m('email'), m('authenticatorApp')], one, { privileged: true }).enough).toBe(true);
});

test('R4: unconfirmed or disabled kinds do not count', () => {
  expect(assessMethods([m('email', { confirmedAt: null }), m('authenticatorApp')], withQuestions).enough).toBe(false);
  expect(assessMethods([m('email'), m('securityQuestions')], DEFAULT_POLICY).enough).toBe(false);
});

test('R4: removal warning when the user would fall below the requirement', () => {
  const set = [m('email'), m('authenticatorApp'), m('recoveryCodes')];
  expect(removalWouldBreakReset(set, set[0]!.id, DEFAULT_POLICY)).toBe(false);
  expect(removalWouldBreakReset(set.slice(0, 2), set[0]!.id, DEFAULT_POLICY)).toBe(true);
});

test('R19: a user with a confirmed method must prove one before adding or changing another', () => {
  expect(requiresProofBeforeChange([], DEFAULT_POLICY)).toBe(false);
  expect(requiresProofBeforeChange([m('email', { confirmedAt: null, source: 'directory' })], DEFAULT_POLICY)).toBe(false);
  expect(requiresProofBeforeChange([m('email')], DEFAULT_POLICY)).toBe(true);
});

test('needsReconfirmation: older than the period since confirmation or last use', () => {
  const now = 1000 + 181 * DAY;
  expect(needsReconfirmation(m('email'), DEFAULT_POLICY, now)).toBe(true);
  expect(needsReconfirmation(m('email', { lastUsedAt: now - DAY }), DEFAULT_POLICY, now)).toBe(false);
  expect(needsReconfirmation(m('email'), { ...DEFAULT_POLICY, methods: { ...DEFAULT_POLICY.methods, reconfirmAfterDays: 0 } }, now)).toBe(false);
  expect(needsReconfirmation(m('email', { confirmedAt: null }), DEFAULT_POLICY, 0)).toBe(true);
});

test('R20: masking keeps the last 2 digits / first letter and domain', () => {
  expect(maskPhone('+31612345678')).toBe('•••••••••78');
  expect(maskEmail('jan.jansen@contoso.example')).toBe('j•••@contoso.example');
});
