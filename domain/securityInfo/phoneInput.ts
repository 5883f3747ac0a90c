/** Country calling codes for the countries a policy typically allows; numbers typed nationally get this prefix. */
const CALLING_CODES: Readonly<Record<string, string>> = {
  NL: '31', BE: '32', DE: '49', FR: '33', GB: '44', IE: '353', US: '1', CA: '1', LU: '352', AT: '43', CH: '41',
  DK: '45', SE: '46', NO: '47', FI: '358', ES: '34', IT: '39', PT: '351', PL: '48',
};

/** Countries the phone entry card can offer as the prefix of a nationally typed number. */
export function pickerCountries(allowed: readonly string[]): readonly string[] {
  return allowed.filter((c) => c in CALLING_CODES);
}

/**
 * Turn what the user typed into international form: `+…` and `00…` stay international; a national number (leading
 * trunk 0, or none) gets the chosen country's calling code. Only visual separators are removed; anything else is left
 * for the destination guard to refuse.
 */
export function internationalise(raw: string, country: string | undefined): string {
  const s = raw.trim().replace(/[\s().\-/]/g, '');
  if (s.startsWith('+')) return s;
  if (s.startsWith('00')) return `+${s.slice(2)}`;
  const cc = country ? CALLING_CODES[country] : undefined;
  if (!cc) return s;
  return `+${cc}${s.replace(/^0/, '')}`;
}
