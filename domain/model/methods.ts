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

/** How a one-time code travels. Mobile phones take SMS or voice; office phones voice only. */
export type CodeChannel = 'sms' | 'voice' | 'email';
