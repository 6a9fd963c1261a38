import type { Param, Params } from '../proto/index.js';
import { canonicalJson } from '../proto/index.js';
import { summarizeConfigurations, varyingParams, type ConfigurationRow, type MetricSummary, type TrialLike } from '../coordinator/configurations/index.js';
import { CliError } from './cli-error.js';
import { matches, paramText } from './param-filter.js';
import { chooseConfiguration, selectionCaption, type TableConstraint, type TableSelection } from './table-select.js';
import { paretoFront } from '../coordinator/frontier/pareto.js';

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
  /**
   * Several configurations per row allowed: each row shows the one with the best mean of this
   * metric (under `constraints`), and a `chosen` column names the params that set it apart.
   */
  select?: TableSelection;
  constraints?: readonly TableConstraint[];
  /**
   * Only the configurations on the Pareto frontier of these metrics' means (those missing one are
   * left out), best first on the first metric: a sweep's frontier as a table.
   */
  frontier?: readonly TableSelection[];
  /** Numeric param values (and numbers in lists) shown with this many significant digits. */
  paramDigits?: number;
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
  if (o.select && o.frontier) throw new CliError('table: --select and --frontier do not go together (one picks a configuration per row, the other keeps the frontier\'s)');
  const choice = o.select ? [o.select.metric, ...(o.constraints ?? []).map((k) => k.metric)] : [];
  const front = (o.frontier ?? []).map((f) => f.metric);
  const summarized = summarizeConfigurations(trials, [...new Set([...o.metrics, ...choice, ...front])]).filter((c) => !o.where || matches(c.params, o.where));
  if (summarized.length === 0) throw new CliError(`table: no configuration${o.where ? ` matches ${JSON.stringify(o.where)}` : ''} in the results`);
  const configs = o.frontier ? frontierOf(summarized, o.frontier) : summarized;
  const known = new Set(configs.flatMap((c) => Object.keys(c.params)));
  const unknown = o.rows.filter((k) => !known.has(k));
  if (unknown.length) throw new CliError(`table: --rows ${unknown.join(', ')}: no such param in the results (params: ${[...known].sort().join(', ')})`);
  const rowKey = (p: Params): string => canonicalJson(o.rows.map((k) => p[k] ?? null));
  const groups = new Map<string, (typeof configs)[number][]>();
  for (const c of configs) {
    const k = rowKey(c.params);
    const group = groups.get(k);
    if (group) group.push(c);
    else groups.set(k, [c]);
  }
  const chosenParams = o.select ? varyingParams(configs).filter((p) => !o.rows.includes(p)) : [];
  /** A row: its label params, and the configuration shown (undefined: none meets the constraints). */
  const picked: { label: Params; row: (typeof configs)[number] | undefined }[] = [];
  for (const group of groups.values()) {
    const first = group[0];
    if (!first) continue;
    const select = o.select;
    if (select) {
      if (!group.some((c) => c.stats[select.metric])) throw new CliError(`table: --select ${select.metric}: no ok trial of ${o.rows.map((r) => `${r}=${paramText(first.params[r])}`).join(', ')} reports it`);
      picked.push({ label: first.params, row: chooseConfiguration(group, select, o.constraints ?? []) });
      continue;
    }
    const other = group[1];
    if (other) {
      const apart = varyingParams([first, other]).filter((p) => !o.rows.includes(p));
      throw new CliError(`table: two configurations share ${o.rows.map((r) => `${r}=${paramText(other.params[r])}`).join(', ')} and differ in ${apart.join(', ')}: add ${apart.length > 1 ? 'them' : 'it'} to --rows, narrow with --where, or choose one per row with --select`);
    }
    picked.push({ label: first.params, row: first });
  }
  const shown = (v: Param | undefined): string => paramText(o.paramDigits === undefined ? v : significant(v, o.paramDigits));
  const chosenText = (r: (typeof configs)[number] | undefined): string => (r ? chosenParams.map((k) => `${k}=${shown(r.params[k])}`).join(', ') : 'none meets the constraints');
  const rows = picked.flatMap((p) => (p.row ? [p.row] : []));
  const missing = o.metrics.filter((m) => rows.every((r) => !r.stats[m]));
  if (missing.length) throw new CliError(`table: no ok trial reports ${missing.join(', ')}`);
  if ((o.format ?? 'markdown') === 'csv') {
    const header = [...o.rows, ...(o.select ? ['chosen'] : []), 'seeds', 'failed', ...o.metrics.flatMap((m) => [`${m} mean`, `${m} std`])];
    const lines = picked.map(({ label, row: r }) => [
      ...o.rows.map((k) => shown(label[k])),
      ...(o.select ? [chosenText(r)] : []),
      r ? String(r.seeds.length) : '',
      r ? String(r.failed_seeds.length) : '',
      ...o.metrics.flatMap((m) => {
        const s = r?.stats[m];
        return [s ? String(s.mean * scale) : '', s && s.std !== null ? String(s.std * scale) : ''];
      }),
    ]);
    return `${[header, ...lines].map((l) => l.map(csvCell).join(',')).join('\n')}\n`;
  }
  const header = [...o.rows, ...(o.select ? ['chosen'] : []), 'seeds', ...o.metrics];
  const md = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  const lines = picked.map(({ label, row: r }) =>
    md([...o.rows.map((k) => shown(label[k])), ...(o.select ? [chosenText(r)] : []), r ? seedsText(r.seeds.length, r.failed_seeds.length) : '—', ...o.metrics.map((m) => cell(r?.stats[m], digits, scale))]),
  );
  const caption = o.select ? `\n*Chosen: ${selectionCaption(o.select, o.constraints ?? [])}.*\n` : o.frontier ? `\n*${frontierCaption(o.frontier, configs.length, summarized.length)}.*\n` : '';
  return `${[md(header), md(header.map(() => '---')), ...lines].join('\n')}\n${caption}`;
}

/** The configurations non-dominated on the means of `goals`, best first on the first goal. */
function frontierOf(configs: readonly ConfigurationRow[], goals: readonly TableSelection[]): ConfigurationRow[] {
  const missing = goals.filter((g) => configs.every((c) => !c.stats[g.metric]));
  if (missing.length) throw new CliError(`table: --frontier ${missing.map((g) => g.metric).join(', ')}: no ok trial reports it`);
  const candidates = configs.map((c, i) => ({ id: String(i).padStart(8, '0'), values: goals.map((g) => c.stats[g.metric]?.mean ?? NaN), item: c }));
  return paretoFront(candidates, goals.map((g) => g.goal)).map((c) => c.item);
}

/** Under a frontier table: which metrics, and how many configurations it kept. */
function frontierCaption(goals: readonly TableSelection[], kept: number, of: number): string {
  return `The frontier of ${goals.map((g) => `${g.metric} (${g.goal})`).join(' and ')} over the configurations' means: ${kept} of ${of}`;
}

/** Numbers rounded to `digits` significant digits, or to whole numbers when larger (in lists too); other values as they are. */
function significant(v: Param | undefined, digits: number): Param | undefined {
  if (typeof v === 'number') return Math.abs(v) >= 10 ** digits ? Math.round(v) : Number(v.toPrecision(digits));
  if (Array.isArray(v)) return v.map((x) => significant(x, digits) ?? x);
  return v;
}
