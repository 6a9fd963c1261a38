import { assembleFrontier, metricValues, type Goal } from '../coordinator/frontier/index.js';
import { AGGREGATES, SELECTION_METHODS, type Aggregate, type IntervalMethod, type SelectionMethod } from '../coordinator/configurations/index.js';
import { readResultsFile, type ResultLine } from '../coordinator/results/index.js';
import type { FrontierDocument } from './result-format.js';
import { CliError } from './cli-error.js';

export interface ObjectiveArg {
  metric: string;
  goal: Goal;
  aggregate?: Aggregate;
}

const isAggregate = (v: string): v is Aggregate => (AGGREGATES as readonly string[]).includes(v);

/** Parses `METRIC:max|min[:mean|median|worst|best]`. */
export function parseObjectiveArg(value: string): ObjectiveArg {
  const [metric = '', goal = '', aggregate, ...rest] = value.split(':');
  if (!metric || (goal !== 'max' && goal !== 'min') || rest.length > 0) throw new CliError(`--objective: expected METRIC:max or METRIC:min, got "${value}"`);
  if (aggregate === undefined) return { metric, goal };
  if (!isAggregate(aggregate)) throw new CliError(`--objective: the aggregate after the goal is one of ${AGGREGATES.join(', ')}, got "${aggregate}" in "${value}"`);
  return { metric, goal, aggregate };
}

const isSelection = (v: string): v is SelectionMethod => (SELECTION_METHODS as readonly string[]).includes(v);

/** Parses --selection. */
export function parseSelectionArg(value: string): SelectionMethod {
  if (!isSelection(value)) throw new CliError(`--selection: expected one of ${SELECTION_METHODS.join(', ')}, got "${value}"`);
  return value;
}

/** Parses --interval. */
export function parseIntervalArg(value: string): IntervalMethod {
  if (value !== 't' && value !== 'bootstrap') throw new CliError(`--interval: expected t or bootstrap, got "${value}"`);
  return value;
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
