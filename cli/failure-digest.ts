/** The first distinct errors of a sweep's failed trials, with the trials that hit them. */
export interface FailureGroup {
  error: string;
  /** The first few trials with this error, in result order. */
  trial_ids: string[];
  /** Trials with this error. */
  count: number;
}

/** Distinct errors shown, and trial ids shown per error. */
export const DIGEST_ERRORS = 3;
const IDS_PER_ERROR = 3;
const MAX_ERROR_CHARS = 300;

/** The first line of an error message, shortened: what two trials that failed alike share. */
function errorKey(error: string | undefined): string {
  const line = (error ?? '').trim().split('\n')[0]?.trim() ?? '';
  if (line === '') return '(no error message)';
  return line.length > MAX_ERROR_CHARS ? `${line.slice(0, MAX_ERROR_CHARS)}…` : line;
}

/** The first `limit` distinct errors among the failed rows, in the order they were first met. */
export function failureGroups(rows: readonly { trial_id: string; status: string; error?: string }[], limit = DIGEST_ERRORS): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const r of rows) {
    if (r.status !== 'failed') continue;
    const key = errorKey(r.error);
    const g = groups.get(key);
    if (g) {
      g.count++;
      if (g.trial_ids.length < IDS_PER_ERROR) g.trial_ids.push(r.trial_id);
    } else groups.set(key, { error: key, trial_ids: [r.trial_id], count: 1 });
  }
  return [...groups.values()].slice(0, limit);
}

/**
 * Lines for a person: `N of M trials failed:` then one line per distinct error with
 * its trials (`t1, t2 and 7 more: message`). Empty when nothing failed.
 */
export function formatFailures(groups: readonly FailureGroup[], failed: number, total: number): string[] {
  if (failed === 0) return [];
  const lines = [`${failed} of ${total} trials failed${groups.length > 1 ? ` (first ${groups.length} distinct errors)` : ''}:`];
  for (const g of groups) {
    const more = g.count - g.trial_ids.length;
    lines.push(`  ${g.trial_ids.join(', ')}${more > 0 ? ` and ${more} more` : ''}: ${g.error}`);
  }
  const shown = groups.reduce((n, g) => n + g.count, 0);
  if (shown < failed) lines.push(`  ... and ${failed - shown} more failed trials with other errors`);
  return lines;
}
