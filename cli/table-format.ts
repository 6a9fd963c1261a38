import type { Params } from '../proto/index.js';
import { canonicalJson } from '../proto/index.js';
import { summarizeConfigurations, varyingParams, type MetricSummary, type TrialLike } from '../coordinator/configurations/index.js';
import { CliError } from './cli-error.js';
import { matches, paramText } from './param-filter.js';

export type TableFormat = 'markdown' | 'csv';

export interface TableOptions {
  /** Params whose values label the rows; every other param must be the same within a row. */
  rows: readonly string[];
  metrics: readonly string[];
  /** Default markdown. */
  format?: TableFormat;
  /** Digits after the point; default `DEFAULT_TABLE_DIGITS`. */
  digits?: number;
  /** Multiply values by this (100 for percent); default 1. */
  scale?: number;
  /** Only configurations with these param values. */
  where?: Params;
}

export const DEFAULT_TABLE_DIGITS = 3;

const fixed = (v: number, digits: number): string => (Object.is(Number(v.toFixed(digits)), -0) ? (0).toFixed(digits) : v.toFixed(digits));

/** `mean ± std`, `mean` for one seed (no std), `—` with none. */
function cell(s: MetricSummary | null | undefined, digits: number, scale: number): string {
  if (!s) return '—';
  const m = fixed(s.mean * scale, digits);
  return s.std === null ? m : `${m} ± ${fixed(s.std * scale, digits)}`;
}

/** `3`, or `2 of 3 (1 failed)`: a failed seed is never silently left out of a mean. */
const seedsText = (ok: number, failed: number): string => (failed === 0 ? String(ok) : `${ok} of ${ok + failed} (${failed} failed)`);

const csvCell = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/**
 * A table of configurations: one row per value of the `rows` params (in the order the results first
 * show them), one column per metric with its mean ± sample std over the ok seeds, and the seeds
 * counted (failed ones named). Markdown as the docs' tables are, or CSV with mean and std apart.
 */
export function resultsTable(trials: readonly TrialLike[], o: TableOptions): string {
  if (o.rows.length === 0) throw new CliError('table: --rows needs at least one param');
  if (o.metrics.length === 0) throw new CliError('table: --metrics needs at least one metric');
  const digits = o.digits ?? DEFAULT_TABLE_DIGITS;
  const scale = o.scale ?? 1;
  const configs = summarizeConfigurations(trials, o.metrics).filter((c) => !o.where || matches(c.params, o.where));
  if (configs.length === 0) throw new CliError(`table: no configuration${o.where ? ` matches ${JSON.stringify(o.where)}` : ''} in the results`);
  const known = new Set(configs.flatMap((c) => Object.keys(c.params)));
  const unknown = o.rows.filter((k) => !known.has(k));
  if (unknown.length) throw new CliError(`table: --rows ${unknown.join(', ')}: no such param in the results (params: ${[...known].sort().join(', ')})`);
  const rowKey = (p: Params): string => canonicalJson(o.rows.map((k) => p[k] ?? null));
  const seen = new Map<string, (typeof configs)[number]>();
  for (const c of configs) {
    const k = rowKey(c.params);
    const other = seen.get(k);
    if (other) {
      const apart = varyingParams([other, c]).filter((p) => !o.rows.includes(p));
      throw new CliError(`table: two configurations share ${o.rows.map((r) => `${r}=${paramText(c.params[r])}`).join(', ')} and differ in ${apart.join(', ')}: add ${apart.length > 1 ? 'them' : 'it'} to --rows or narrow with --where`);
    }
    seen.set(k, c);
  }
  const rows = [...seen.values()];
  const missing = o.metrics.filter((m) => rows.every((r) => !r.stats[m]));
  if (missing.length) throw new CliError(`table: no ok trial reports ${missing.join(', ')}`);
  if ((o.format ?? 'markdown') === 'csv') {
    const header = [...o.rows, 'seeds', 'failed', ...o.metrics.flatMap((m) => [`${m} mean`, `${m} std`])];
    const lines = rows.map((r) => [
      ...o.rows.map((k) => paramText(r.params[k])),
      String(r.seeds.length),
      String(r.failed_seeds.length),
      ...o.metrics.flatMap((m) => {
        const s = r.stats[m];
        return [s ? String(s.mean * scale) : '', s && s.std !== null ? String(s.std * scale) : ''];
      }),
    ]);
    return `${[header, ...lines].map((l) => l.map(csvCell).join(',')).join('\n')}\n`;
  }
  const header = [...o.rows, 'seeds', ...o.metrics];
  const md = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  const lines = rows.map((r) => md([...o.rows.map((k) => paramText(r.params[k])), seedsText(r.seeds.length, r.failed_seeds.length), ...o.metrics.map((m) => cell(r.stats[m], digits, scale))]));
  return `${[md(header), md(header.map(() => '---')), ...lines].join('\n')}\n`;
}
