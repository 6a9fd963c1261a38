import { assembleFrontier, metricValues, type Goal } from '../coordinator/frontier/index.js';
import { readResultsFile, type ResultLine } from '../coordinator/results/index.js';
import type { FrontierDocument } from './result-format.js';
import { CliError } from './cli-error.js';

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

/** The ok trials of a results.jsonl file: what `fairsweep frontier` ranks. */
export async function readResultsJsonl(path: string): Promise<ResultLine[]> {
  return (await readResultsFile(path)).filter((r) => r.status === 'ok');
}

/** The frontier.json document of ok rows on `objectives`; hypervolume for two objectives. */
export function frontierOfRows(
  rows: readonly Pick<ResultLine, 'trial_id' | 'params' | 'seed' | 'metrics'>[],
  objectives: readonly ObjectiveArg[],
  reference?: readonly number[],
): FrontierDocument {
  const f = assembleFrontier(
    rows.map((r) => ({ id: r.trial_id, values: metricValues(r.metrics, objectives), item: r })),
    objectives.map((o) => o.goal),
    reference ? { reference } : {},
  );
  return {
    objectives: objectives.map((o) => ({ metric: o.metric, goal: o.goal })),
    frontier: f.rows.map((c) => ({ trial_id: c.id, params: c.item.params, seed: c.item.seed, values: [...c.values], metrics: c.item.metrics })),
    hypervolume: f.hypervolume,
    reference: f.reference,
  };
}
