import { readFile } from 'node:fs/promises';
import { paretoFront, hypervolume2d, defaultReference, type Goal } from '../coordinator/frontier/index.js';
import type { FrontierDocument } from './result-format.js';
import { CliError } from './cli-error.js';
import type { Params } from '../proto/index.js';

export interface ObjectiveArg {
  metric: string;
  goal: Goal;
}

/** Parses `METRIC:max|min`. */
export function parseObjectiveArg(value: string): ObjectiveArg {
  const i = value.lastIndexOf(':');
  const metric = i > 0 ? value.slice(0, i) : '';
  const goal = value.slice(i + 1);
  if (!metric || (goal !== 'max' && goal !== 'min')) throw new CliError(`--objective: expected METRIC:max or METRIC:min, got "${value}"`);
  return { metric, goal };
}

export function parseReferenceArg(value: string, dims: number): number[] {
  const parts = value.split(',').map((s) => Number(s.trim()));
  if (parts.length !== dims || parts.some((v) => !Number.isFinite(v))) {
    throw new CliError(`--reference: expected ${dims} comma-separated numbers (one per objective), got "${value}"`);
  }
  return parts;
}

interface Row {
  trial_id: string;
  params: Params;
  seed: number;
  metrics: Record<string, number>;
}

/** Reads results.jsonl: rows with status ok (or no status) that have a metrics object. */
export async function readResultsJsonl(path: string): Promise<Row[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const rows: Row[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      throw new CliError(`${path} line ${i + 1}: not valid JSON`);
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new CliError(`${path} line ${i + 1}: expected a JSON object`);
    const o = obj as Record<string, unknown>;
    if (o.status !== undefined && o.status !== 'ok') return;
    const metrics = o.metrics;
    if (metrics === null || typeof metrics !== 'object' || Array.isArray(metrics)) throw new CliError(`${path} line ${i + 1}: "metrics" must be an object of numbers`);
    rows.push({
      trial_id: typeof o.trial_id === 'string' ? o.trial_id : `line-${i + 1}`,
      params: (o.params && typeof o.params === 'object' ? o.params : {}) as Params,
      seed: typeof o.seed === 'number' ? o.seed : 0,
      metrics: metrics as Record<string, number>,
    });
  });
  return rows;
}

/** The frontier document of rows for objectives; hypervolume for two objectives. */
export function frontierOfRows(rows: readonly Row[], objectives: readonly ObjectiveArg[], reference?: readonly number[]): FrontierDocument {
  const goals = objectives.map((o) => o.goal);
  const valuesOf = (r: Row): number[] => objectives.map((o) => {
    const v = r.metrics[o.metric];
    return typeof v === 'number' ? v : Number.NaN;
  });
  const front = paretoFront(rows.map((r) => ({ id: r.trial_id, values: valuesOf(r), item: r })), goals);
  let hypervolume: number | null = null;
  let ref: number[] | null = null;
  if (objectives.length === 2 && front.length > 0) {
    ref = reference ? [...reference] : defaultReference(rows.map(valuesOf), goals);
    const hv = hypervolume2d(front.map((c) => [c.values[0] as number, c.values[1] as number] as const), [goals[0] as Goal, goals[1] as Goal], [ref[0] as number, ref[1] as number]);
    hypervolume = Number.isFinite(hv) ? hv : null;
  }
  return {
    objectives: objectives.map((o) => ({ metric: o.metric, goal: o.goal })),
    frontier: front.map((c) => ({ trial_id: c.id, params: c.item.params, seed: c.item.seed, values: [...c.values], metrics: c.item.metrics })),
    hypervolume,
    reference: ref,
  };
}
