/**
 * Banned-term scoring the way Entra Password Protection describes it (R14): normalise (lower-case and the
 * substitutions 0→o 1→l $→s @→a), find each banned term with an edit distance of at most one, then score one point
 * per term found and one point per remaining character. Fewer than `minPoints` points fails.
 */

const SUBSTITUTIONS: Readonly<Record<string, string>> = { '0': 'o', '1': 'l', $: 's', '@': 'a' };

/** Terms shorter than this are ignored: with an edit distance of one they would match almost anything. */
export const MIN_TERM_LENGTH = 4;

/** Lower-case and apply the Entra character substitutions. Works on code points. */
export function normalizeForBannedCheck(s: string): string {
  let out = '';
  for (const ch of s.toLowerCase()) out += SUBSTITUTIONS[ch] ?? ch;
  return out;
}

/** Levenshtein distance, bounded: returns `max + 1` as soon as the distance is known to exceed `max`. */
export function boundedEditDistance(a: readonly string[], b: readonly string[], max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length] ?? max + 1;
}

export interface BannedTermScore {
  /** Points as Entra counts them. */
  readonly points: number;
  /** How many banned-term occurrences were found (the terms themselves are not returned). */
  readonly termsFound: number;
}

/**
 * Scores `password` against `terms`. Matching is greedy from left to right; at each position an exact match wins
 * over a fuzzy one and a longer match over a shorter one; matches never overlap.
 */
export function scoreBannedTerms(password: string, terms: readonly string[]): BannedTermScore {
  const chars = [...normalizeForBannedCheck(password)];
  const normTerms = [
    ...new Set(terms.map((t) => normalizeForBannedCheck(t.trim())).filter((t) => [...t].length >= MIN_TERM_LENGTH)),
  ].map((t) => [...t]);
  let points = 0;
  let termsFound = 0;
  let i = 0;
  while (i < chars.length) {
    let best: { len: number; dist: number } | null = null;
    for (const term of normTerms) {
      for (const len of [term.length, term.length + 1, term.length - 1]) {
        if (len <= 0 || i + len > chars.length) continue;
        const d = boundedEditDistance(chars.slice(i, i + len), term, 1);
        if (d > 1) continue;
        if (best === null || d < best.dist || (d === best.dist && len > best.len)) best = { len, dist: d };
      }
    }
    if (best) {
      points += 1;
      termsFound += 1;
      i += best.len;
    } else {
      points += 1;
      i += 1;
    }
  }
  return { points, termsFound };
}
