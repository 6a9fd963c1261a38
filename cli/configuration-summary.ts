import { objectiveLabel, selectionLabel, varyingParams, type ConfigurationFrontierDocument, type MetricSummary } from '../coordinator/configurations/index.js';
import type { Params } from '../proto/index.js';
import { paramText } from './param-filter.js';

const num = (v: number): string => v.toFixed(4);

/** `0.8120 ± 0.0140 [0.6862, 0.9378]`, or `0.8120 (1 seed: no interval)`. */
export function summaryText(s: MetricSummary | null | undefined): string {
  if (!s) return '—';
  if (s.std === null || s.ci === null) return `${num(s.mean)} (1 seed: no interval)`;
  return `${num(s.mean)} ± ${num(s.std)} [${num(s.ci[0])}, ${num(s.ci[1])}]`;
}

/**
 * The configuration frontier as text: the protocol (aggregate, selection, interval), then one row
 * per configuration on it: the params that vary, its seeds (failed ones named), and per objective
 * mean ± std [CI] of the metric ranked on and, under a selection method, of the test metric beside.
 */
export function formatConfigurationFrontier(doc: ConfigurationFrontierDocument, allParams: readonly { params: Params }[] = doc.frontier): string[] {
  const lines: string[] = [];
  const objectives = doc.objectives.map((o) => (o.selection_metric === o.metric ? objectiveLabel(o) : `${objectiveLabel({ ...o, metric: o.selection_metric })} for ${o.metric}`)).join(', ');
  lines.push(`frontier: ${doc.frontier.length} of ${doc.configurations} configurations non-dominated on ${objectives}; ${selectionLabel(doc.selection ?? undefined)}; ${Math.round(doc.confidence * 100)} % ${doc.interval === 't' ? 'Student t' : 'bootstrap'} intervals over seeds`);
  if (doc.without_ok_seed > 0) lines.push(`  ${doc.without_ok_seed} configuration(s) have no ok seed and are not ranked`);
  if (doc.missing_metrics.length > 0) lines.push(`  no ok trial reports ${doc.missing_metrics.join(', ')}: nothing can be ranked on it`);
  if (doc.hypervolume !== null) lines.push(`hypervolume: ${doc.hypervolume.toPrecision(6)} (reference ${JSON.stringify(doc.reference)})`);
  if (doc.frontier.length === 0) return lines;
  const keys = varyingParams(allParams);
  const metrics = [...new Set(doc.objectives.flatMap((o) => [o.selection_metric, o.metric]))];
  const header = [...keys, 'seeds', ...metrics];
  const table = doc.frontier.map((r) => [
    ...keys.map((k) => paramText(r.params[k])),
    r.failed_seeds.length ? `${r.seeds.length} of ${r.seeds.length + r.failed_seeds.length} (failed: ${r.failed_seeds.join(', ')})` : String(r.seeds.length),
    ...metrics.map((m) => summaryText(r.stats[m])),
  ]);
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...table.map((row) => (row[i] ?? '').length))));
  const fmt = (row: string[]): string => row.map((c, i) => c.slice(0, widths[i]).padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  lines.push('', fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...table.map(fmt));
  return lines;
}
