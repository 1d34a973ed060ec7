/**
 * "Did you mean …?" suggestions: the closest candidates by a similarity ratio in the spirit of
 * Python's `difflib.get_close_matches` (2 × common characters / total length, cutoff 0.6).
 *
 * @module
 */

import { compareText } from "./compare.ts";

function lcsLength(a: string, b: string): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++) {
      row[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], row[j - 1]);
    }
    prev = row;
  }
  return prev[b.length];
}

/** The similarity of two strings, from 0 (nothing shared) to 1 (equal). */
export function similarity(a: string, b: string): number {
  if (a.length + b.length === 0) return 1;
  return (2 * lcsLength(a, b)) / (a.length + b.length);
}

/**
 * The candidates closest to `word`, best first, at most `n`, each at least `cutoff` similar.
 *
 * @example
 * ```ts
 * import { closeMatches } from "./suggest.ts";
 *
 * console.assert(closeMatches("greet_usr", ["greet_user", "help"])[0] === "greet_user");
 * ```
 */
export function closeMatches(
  word: string,
  candidates: Iterable<string>,
  { n = 3, cutoff = 0.6 }: { n?: number; cutoff?: number } = {},
): string[] {
  const scored: [number, string][] = [];
  for (const candidate of candidates) {
    const score = similarity(word, candidate);
    if (score >= cutoff) scored.push([score, candidate]);
  }
  scored.sort((x, y) => y[0] - x[0] || compareText(x[1], y[1]));
  return scored.slice(0, n).map(([, candidate]) => candidate);
}
