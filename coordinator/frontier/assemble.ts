import { defaultReference, hypervolume2d, paretoFront, type Candidate, type Goal } from './pareto.js';

/** A frontier with its hypervolume, as the API, the CLI and the report show it. */
export interface AssembledFrontier<T> {
  /** The non-dominated points, in `paretoFront`'s order: best-first by each objective in turn, then by id. */
  rows: Candidate<T>[];
  /**
   * The hypervolume reference point: the one given, else the worst finite value of each objective
   * over all the points (`defaultReference`). Null unless there are two objectives and a frontier.
   */
  reference: number[] | null;
  /** 2-D hypervolume against `reference`; null for other dimensions, an empty frontier or a non-finite area. */
  hypervolume: number | null;
}

export interface AssembleOptions {
  /** Hypervolume reference point, one value per objective (default: `defaultReference` of the points). */
  reference?: readonly number[];
}

/**
 * The Pareto frontier of `points` (values in the order of `goals`) and its hypervolume: the one
 * place where a frontier is put together, for the coordinator's Frontier call, `fairsweep frontier`
 * and the report page. Points missing an objective or with NaN are ranked nowhere.
 */
export function assembleFrontier<T>(points: readonly Candidate<T>[], goals: readonly Goal[], options: AssembleOptions = {}): AssembledFrontier<T> {
  const { reference } = options;
  if (reference !== undefined && reference.length !== goals.length) {
    throw new RangeError(`hypervolume reference: expected ${goals.length} values (one per objective), got ${reference.length}`);
  }
  const rows = paretoFront(points, goals);
  const [g0, g1] = goals;
  if (goals.length !== 2 || g0 === undefined || g1 === undefined || rows.length === 0) return { rows, reference: null, hypervolume: null };
  const ref = reference ? [...reference] : defaultReference(points.map((p) => p.values), goals);
  const hv = hypervolume2d(rows.map(pair), [g0, g1], pair({ values: ref }));
  return { rows, reference: ref, hypervolume: Number.isFinite(hv) ? hv : null };
}

/** The first two values of a complete 2-objective row. */
const pair = (c: { values: readonly number[] }): readonly [number, number] => [c.values[0] ?? Number.NaN, c.values[1] ?? Number.NaN];

/** The values of `metrics` named by `objectives`, in order; NaN where a metric is missing. */
export function metricValues(metrics: Readonly<Record<string, number>>, objectives: readonly { metric: string }[]): number[] {
  return objectives.map((o) => metrics[o.metric] ?? Number.NaN);
}
