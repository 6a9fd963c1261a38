import { distance } from 'fastest-levenshtein';

/**
 * Edits a misspelling may be away from what was meant: 1 for words of up to 3 letters, 2 up to 8
 * (a swapped pair of letters costs 2), then a quarter of the word.
 */
function maxEdits(word: string): number {
  if (word.length <= 3) return 1;
  if (word.length <= 8) return 2;
  return Math.floor(word.length / 4);
}

/**
 * The candidate `word` was most likely meant to be (edit distance, ignoring case), or undefined
 * when none is close enough to be a misspelling of it.
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const d = distance(w, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= maxEdits(word) && bestDistance < Math.max(best.length, w.length) ? best : undefined;
}

/**
 * `unknown WHAT; did you mean "x"?`, or the accepted names when none is close (none listed when
 * there are too many to read).
 */
export function unknownNameMessage(name: string, known: readonly string[], what: string): string {
  const match = closestMatch(name, known);
  if (match !== undefined) return `unknown ${what}; did you mean "${match}"?`;
  if (known.length === 0) return `unknown ${what}`;
  return known.length <= 20 ? `unknown ${what} (expected one of: ${known.join(', ')})` : `unknown ${what}`;
}
