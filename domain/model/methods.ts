/** Verification method kinds a user can register (issue 3). */
export const METHOD_KINDS = [
  'mobilePhone',
  'officePhone',
  'email',
  'authenticatorApp',
  'securityQuestions',
  'recoveryCodes',
] as const;
export type MethodKind = (typeof METHOD_KINDS)[number];

/**
 * The order a user sees their methods in: oldest first; methods created in the same moment (the directory pre-fill
 * saves mobile, office phone and e-mail at once) in the order of METHOD_KINDS, so "mobile phone" is always offered
 * before "e-mail address" — a random id must not decide what comes first.
 */
export function byCreatedThenKind(a: { readonly createdAt: number; readonly kind: MethodKind; readonly id: string }, b: { readonly createdAt: number; readonly kind: MethodKind; readonly id: string }): number {
  return a.createdAt - b.createdAt || METHOD_KINDS.indexOf(a.kind) - METHOD_KINDS.indexOf(b.kind) || a.id.localeCompare(b.id);
}

/** How a one-time code travels. Mobile phones take SMS or voice; office phones voice only. */
export type CodeChannel = 'sms' | 'voice' | 'email';
