/** Digits of every one-time code and authenticator code (R5, R12). */
export const CODE_DIGITS = 6;

const FORMAT = new RegExp(`^\\d{${CODE_DIGITS}}$`);

/**
 * The one code input rule for every surface (R34): spaces and dashes a user types between groups are dropped.
 * Chat cards, the tab and the dialog pages pass what was typed; only the domain decides whether it is a code.
 */
export function normaliseCode(code: string): string {
  return code.replace(/[\s-]+/g, '');
}

/** Is this, after normalising, a code at all? Malformed input never reaches a code store and spends no try. */
export function isCodeFormat(code: string): boolean {
  return FORMAT.test(normaliseCode(code));
}
