import { Goal, TrialStatus, fromParamMap, type Frontier, type Params, type TrialResult } from '../proto/index.js';

/** One line of results.jsonl. */
export interface ResultRow {
  trial_id: string;
  sweep_id: string;
  index: number;
  params: Params;
  seed: number;
  status: 'ok' | 'failed' | 'pruned';
  /** Pruned: the step the trial was stopped at. */
  step?: number;
  metrics: Record<string, number>;
  group_metrics: { split: string; group: string; metrics: Record<string, number> }[];
  attempts: number;
  worker: string;
  backend: string;
  /** The accelerator's name; absent on a CPU backend. */
  device?: string;
  started_at: string | null;
  finished_at: string | null;
  /** The GPU a command trial was pinned to (`fairsweep worker --gpus`). */
  gpu?: number;
  error?: string;
}

const iso = (ms: number): string | null => (ms > 0 ? new Date(ms).toISOString() : null);

export function toResultRow(r: TrialResult): ResultRow {
  return {
    trial_id: r.trialId,
    sweep_id: r.sweepId,
    index: r.index,
    params: fromParamMap(r.params),
    seed: r.seed,
    status: r.status === TrialStatus.TRIAL_STATUS_OK ? 'ok' : r.status === TrialStatus.TRIAL_STATUS_PRUNED ? 'pruned' : 'failed',
    ...(r.status === TrialStatus.TRIAL_STATUS_PRUNED && r.step !== undefined ? { step: r.step } : {}),
    metrics: r.metrics,
    group_metrics: r.groupMetrics.map((g) => ({ split: g.split, group: g.group, metrics: g.metrics })),
    attempts: r.attempts,
    worker: r.workerId,
    backend: r.backend,
    ...(r.device ? { device: r.device } : {}),
    started_at: iso(r.startedAtMs),
    finished_at: iso(r.finishedAtMs),
    ...(r.gpu !== undefined ? { gpu: r.gpu } : {}),
    ...(r.status !== TrialStatus.TRIAL_STATUS_OK ? { error: r.error } : {}),
  };
}

/** The frontier.json document. */
export interface FrontierDocument {
  objectives: { metric: string; goal: 'max' | 'min' }[];
  frontier: { trial_id: string; params: Params; seed: number; values: number[]; metrics: Record<string, number> }[];
  hypervolume: number | null;
  reference: number[] | null;
}

export function toFrontierDocument(f: Frontier): FrontierDocument {
  return {
    objectives: f.objectives.map((o) => ({ metric: o.metric, goal: o.goal === Goal.GOAL_MIN ? 'min' : 'max' })),
    frontier: f.rows.map((r) => ({ trial_id: r.trialId, params: fromParamMap(r.params), seed: r.seed, values: r.values, metrics: r.metrics })),
    hypervolume: f.hypervolume ?? null,
    reference: f.reference.length > 0 ? f.reference : null,
  };
}

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  // pandas reads an empty cell as NaN and "inf"/"-inf" as infinities.
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? '' : v > 0 ? 'inf' : '-inf';
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface CsvOptions {
  /** Add one column per split, group and metric: `group:SPLIT:GROUP:METRIC`. */
  groupMetrics?: boolean;
}

const groupColumn = (split: string, group: string, metric: string): string => `group:${split}:${group}:${metric}`;

/**
 * Results as CSV (RFC 4180 quoting, one header row): fixed columns, then one column per param
 * (`param.NAME`, lists as JSON) and per metric, and with `groupMetrics` per group metric; for
 * spreadsheets and `pandas.read_csv`.
 */
export function resultsToCsv(rows: readonly ResultRow[], options: CsvOptions = {}): string {
  const paramKeys = [...new Set(rows.flatMap((r) => Object.keys(r.params)))].sort();
  const metricKeys = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].sort();
  const groupKeys = options.groupMetrics
    ? [...new Set(rows.flatMap((r) => r.group_metrics.flatMap((g) => Object.keys(g.metrics).map((m) => groupColumn(g.split, g.group, m)))))]
    : [];
  const header = ['trial_id', 'sweep_id', 'index', 'seed', 'status', 'attempts', 'worker', 'backend', 'started_at', 'finished_at', 'error', ...paramKeys.map((k) => `param.${k}`), ...metricKeys, ...groupKeys];
  const lines = [header.map(csvCell).join(',')];
  for (const r of rows) {
    const groups = new Map<string, number>();
    if (options.groupMetrics) for (const g of r.group_metrics) for (const [m, v] of Object.entries(g.metrics)) groups.set(groupColumn(g.split, g.group, m), v);
    lines.push(
      [r.trial_id, r.sweep_id, r.index, r.seed, r.status, r.attempts, r.worker, r.backend, r.started_at, r.finished_at, r.error ?? '', ...paramKeys.map((k) => r.params[k]), ...metricKeys.map((k) => r.metrics[k]), ...groupKeys.map((k) => groups.get(k))]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
