import type { RandomSource } from '../ports/clock';

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // 32 symbols, no 0/O/1/I
export const RECOVERY_CODE_COUNT = 10;
/** 12 symbols × 5 bits = 60 bits… plus 4 more symbols = 80 bits; we use 16 symbols in 4 groups (≥ 64 bits). */
export const RECOVERY_CODE_SYMBOLS = 16;

/** Generate `count` recovery codes like `ABCD-EFGH-JKLM-NPQR` (80 bits each) from the injected CSPRNG. */
export function generateRecoveryCodes(random: RandomSource, count = RECOVERY_CODE_COUNT): readonly string[] {
  const codes = new Set<string>();
  while (codes.size < count) {
    let s = '';
    for (let i = 0; i < RECOVERY_CODE_SYMBOLS; i++) s += ALPHABET[random.int(0, ALPHABET.length)];
    codes.add(s.match(/.{4}/g)?.join('-') ?? s);
  }
  return [...codes];
}

/** Upper-case, drop spaces and dashes (users type groups loosely). */
export function normaliseRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}
