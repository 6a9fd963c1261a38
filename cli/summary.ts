import type { FrontierDocument, ResultRow } from './result-format.js';
import { failureGroups, formatFailures } from './failure-digest.js';
import type { ConfigurationFrontierDocument } from '../coordinator/configurations/index.js';
import { formatConfigurationFrontier } from './configuration-summary.js';

/**
 * A readable summary of a finished sweep: counts, failures, and the frontier as a table: of
 * configurations (mean ± std [CI] over seeds) when `configurations` is given, else of trials.
 */
export function formatSummary(sweepId: string, state: string, rows: readonly ResultRow[], frontier: FrontierDocument, seconds: number, configurations?: ConfigurationFrontierDocument, notes: readonly string[] = []): string {
  const ok = rows.filter((r) => r.status === 'ok').length;
  const pruned = rows.filter((r) => r.status === 'pruned').length;
  const failed = rows.length - ok - pruned;
  const lines: string[] = [];
  lines.push(`sweep ${sweepId}: ${state}`);
  lines.push(`trials: ${rows.length} recorded, ${ok} ok, ${failed} failed${pruned > 0 ? `, ${pruned} pruned (stopped early)` : ''}, in ${seconds.toFixed(1)} s`);
  const backends = [...new Set(rows.map((r) => r.backend).filter(Boolean))];
  if (backends.length) lines.push(`backends: ${backends.join(', ')}`);
  if (failed > 0) lines.push(...formatFailures(failureGroups(rows), failed, rows.length), '  (every failure is in results.jsonl)');
  for (const n of notes) lines.push(`warning: ${n}`);
  const objectives = frontier.objectives.map((o) => `${o.metric} (${o.goal})`).join(', ');
  if (configurations && frontier.frontier.length > 0) {
    lines.push(...formatConfigurationFrontier(configurations, rows));
    return `${lines.join('\n')}\n`;
  }
  if (frontier.frontier.length === 0) {
    const why = rows.length === 0 ? 'no trial finished' : ok === 0 ? `0 of ${rows.length} trials succeeded` : `none of the ${ok} successful trials reported ${objectives}`;
    lines.push(`frontier: empty — ${why}`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(`frontier: ${frontier.frontier.length} of ${ok} trials non-dominated on ${objectives}`);
  if (frontier.hypervolume !== null) lines.push(`hypervolume: ${frontier.hypervolume.toPrecision(6)} (reference ${JSON.stringify(frontier.reference)})`);
  // Show the swept params (those that vary across trials), not the fixed ones.
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.params)))];
  const varying = keys.filter((k) => new Set(rows.map((r) => JSON.stringify(r.params[k]))).size > 1);
  const shown = varying.length > 0 ? varying : keys;
  const header = [...shown, 'seed', ...frontier.objectives.map((o) => o.metric)];
  const cell = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v ?? null));
  const table = frontier.frontier.map((r) => [...shown.map((k) => cell(r.params[k])), String(r.seed), ...r.values.map((v) => v.toFixed(4))]);
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...table.map((row) => (row[i] ?? '').length))));
  const fmt = (row: string[]): string => row.map((c, i) => c.slice(0, widths[i]).padEnd(widths[i] ?? 0)).join('  ');
  lines.push('', fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...table.map(fmt));
  return `${lines.join('\n')}\n`;
}
