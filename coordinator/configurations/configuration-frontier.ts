import type { Params } from '../../proto/index.js';
import { assembleFrontier } from '../frontier/index.js';
import { aggregateValue, DEFAULT_AGGREGATE, type Aggregate, type AggregatedObjective } from './aggregate.js';
import { groupConfigurations, type TrialLike } from './group.js';
import { selectionMetric, type SelectionMethod } from './selection.js';
import { summarize, summaryOptions, type IntervalMethod, type MetricSummary, type SummaryOptions } from './summary.js';

/** One configuration with its statistics over seeds. */
export interface ConfigurationRow {
  configuration_id: string;
  params: Params;
  /** Seeds with an ok result, ascending. */
  seeds: number[];
  /** Seeds whose trial failed: never part of a mean, always shown. */
  failed_seeds: number[];
  /** The trial of each seed, ok and failed, in the order of `trials` seeds. */
  trial_ids: string[];
  /** Per metric, over the ok seeds; null where no ok seed has it. */
  stats: Record<string, MetricSummary | null>;
}

/** An objective as a configuration frontier ranks it. */
export interface RankedObjective {
  metric: string;
  goal: 'max' | 'min';
  aggregate: Aggregate;
  /** The metric ranked on: `metric`, or the selection method's stand-in for it (`trainval/…`). */
  selection_metric: string;
}

/** frontier.json at the level of configurations. */
export interface ConfigurationFrontierDocument {
  level: 'configuration';
  objectives: RankedObjective[];
  selection: SelectionMethod | null;
  confidence: number;
  interval: IntervalMethod;
  /** Configurations in the results, and how many of them have no ok seed. */
  configurations: number;
  without_ok_seed: number;
  /** Metrics ranked on that no ok trial reports (a selection split the results lack, a misspelt metric). */
  missing_metrics: string[];
  frontier: (ConfigurationRow & { values: number[] })[];
  hypervolume: number | null;
  reference: number[] | null;
}

export interface ConfigurationFrontierOptions extends SummaryOptions {
  selection?: SelectionMethod;
  /** Hypervolume reference point, one value per objective. */
  reference?: readonly number[];
  /** More metrics to summarise in each row besides the objectives' (default none). */
  metrics?: readonly string[];
}

/** Every configuration of `trials` with the statistics of `metrics` over its ok seeds. */
export function summarizeConfigurations(trials: readonly TrialLike[], metrics: readonly string[], options: SummaryOptions = {}): ConfigurationRow[] {
  return groupConfigurations(trials).map((c) => ({
    configuration_id: c.id,
    params: c.params,
    seeds: c.ok.map((t) => t.seed),
    failed_seeds: c.failed.map((t) => t.seed),
    trial_ids: c.trials.map((t) => t.trial_id),
    stats: Object.fromEntries(metrics.map((m) => [m, summarize(c.ok.map((t) => t.metrics[m] ?? Number.NaN), options)])),
  }));
}

/** Objectives with their aggregate and the metric ranked on under `selection`. */
export function rankedObjectives(objectives: readonly AggregatedObjective[], selection?: SelectionMethod): RankedObjective[] {
  return objectives.map((o) => ({ metric: o.metric, goal: o.goal, aggregate: o.aggregate ?? DEFAULT_AGGREGATE, selection_metric: selectionMetric(o.metric, selection) }));
}

/**
 * The Pareto frontier of the configurations of `trials`: each configuration is one point whose
 * value on an objective is the aggregate (mean by default) of its selection metric over its ok
 * seeds. Rows carry the statistics of the selection metrics and of the objectives' own (test)
 * metrics, so what was chosen on validation is reported on test beside it.
 */
export function configurationFrontier(trials: readonly TrialLike[], objectives: readonly AggregatedObjective[], options: ConfigurationFrontierOptions = {}): ConfigurationFrontierDocument {
  const o = summaryOptions(options);
  const ranked = rankedObjectives(objectives, options.selection);
  const metrics = [...new Set([...ranked.flatMap((r) => [r.selection_metric, r.metric]), ...(options.metrics ?? [])])];
  const rows = summarizeConfigurations(trials, metrics, o);
  const f = assembleFrontier(
    rows.map((r) => ({ id: r.configuration_id, values: ranked.map((x) => aggregateValue(r.stats[x.selection_metric] ?? null, x.aggregate, x.goal)), item: r })),
    ranked.map((x) => x.goal),
    options.reference ? { reference: options.reference } : {},
  );
  return {
    level: 'configuration',
    objectives: ranked,
    selection: options.selection ?? null,
    confidence: o.confidence,
    interval: o.interval,
    configurations: rows.length,
    without_ok_seed: rows.filter((r) => r.seeds.length === 0).length,
    missing_metrics: [...new Set(ranked.map((r) => r.selection_metric))].filter((m) => rows.every((r) => !r.stats[m])),
    frontier: f.rows.map((c) => ({ ...c.item, values: [...c.values] })),
    hypervolume: f.hypervolume,
    reference: f.reference,
  };
}
