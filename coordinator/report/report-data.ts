import type { Params } from '../../proto/index.js';
import { pairFrontiers } from './pair-frontiers.js';
import { rankedObjectives, type AggregatedObjective, type SelectionMethod } from '../configurations/index.js';
import { reportConfigurations, type ReportConfigurations } from './report-configurations.js';

/** Per-group metrics of one trial on one split, as in results.jsonl. */
export interface ReportGroupMetrics {
  split: string;
  group: string;
  metrics: Record<string, number>;
}

/** A trial as the report needs it: a subset of a results.jsonl row. */
export interface ReportTrial {
  trial_id: string;
  sweep_id?: string;
  params: Params;
  seed: number;
  status: 'ok' | 'failed' | 'pruned';
  /** Pruned: the step it was stopped at. */
  step?: number;
  metrics: Record<string, number>;
  group_metrics: ReportGroupMetrics[];
  error?: string;
  /** Links to the trial's artifacts (command trials), relative to the report. */
  artifacts?: string[];
}

/** The sweep's frontier as in frontier.json. */
export interface ReportFrontier {
  objectives: { metric: string; goal: 'max' | 'min' }[];
  frontier: { trial_id: string; values: number[] }[];
  hypervolume: number | null;
  reference: number[] | null;
}

/** Everything report.html shows, embedded in the page as JSON. */
export interface ReportData extends ReportConfigurations {
  title: string;
  sweep_id: string;
  generated_at: string;
  spec_yaml: string;
  objectives: { metric: string; goal: 'max' | 'min' }[];
  /** Metrics the plot may use on an axis: the selection metrics (under a selection method) and the objectives first, then every other numeric metric. */
  axes: { metric: string; goal: 'max' | 'min' }[];
  /** Params that take more than one value across the trials (the table's columns). */
  varying_params: string[];
  trials: ReportTrial[];
  /** The sweep's frontier (frontier.json, on the sweep's objectives), in frontier order. */
  frontier_ids: string[];
  /**
   * The 2-D frontier of each pair of distinct axes under each choice of goals, as indexes into
   * `trials`, keyed by `pairKey` (see pair-frontiers.ts): what the plot highlights.
   */
  pair_frontiers: Record<string, number[]>;
  hypervolume: number | null;
  reference: number[] | null;
}

export interface ReportInput {
  sweepId: string;
  specYaml: string;
  /** Sweep name, shown as the title. */
  name?: string;
  trials: readonly ReportTrial[];
  frontier: ReportFrontier;
  /** Time stamp shown in the page (default now). */
  generatedAt?: Date;
  /** The spec's objectives with their aggregates (default: the frontier's, aggregated by mean). */
  objectives?: readonly AggregatedObjective[];
  /** The spec's selection method, if any. */
  selection?: SelectionMethod;
}

/** Metrics that are better small: fairness gaps, errors, losses, calibration error, false positives. */
const SMALLER_IS_BETTER = /(difference|gap|disparity|violation|error|loss|penalty|(^|[/_])(ece|fpr|fnr|time|seconds|cost)($|_)|_ms$)/i;

/** The direction a metric that is not an objective is shown with, guessed from its name. */
export function guessGoal(metric: string): 'max' | 'min' {
  return SMALLER_IS_BETTER.test(metric) ? 'min' : 'max';
}

/** Gathers what the page shows; metric and param order is stable so the page is reproducible. */
export function buildReportData(input: ReportInput): ReportData {
  const objectives = input.frontier.objectives.map((o) => ({ metric: o.metric, goal: o.goal }));
  const ok = input.trials.filter((t) => t.status === 'ok');
  const numeric = new Set<string>();
  for (const t of ok) for (const [k, v] of Object.entries(t.metrics)) if (typeof v === 'number' && Number.isFinite(v)) numeric.add(k);
  // Under a selection method the metrics ranked on come first (the plot opens on them), with their objective's goal.
  const ranked = rankedObjectives(input.objectives ?? objectives, input.selection);
  const selected = ranked.filter((r) => r.selection_metric !== r.metric && numeric.has(r.selection_metric)).map((r) => ({ metric: r.selection_metric, goal: r.goal }));
  const first = [...selected, ...objectives];
  const firstNames = new Set(first.map((o) => o.metric));
  const axes = [...first, ...[...numeric].filter((m) => !firstNames.has(m)).sort().map((metric) => ({ metric, goal: guessGoal(metric) }))];
  const keys = [...new Set(input.trials.flatMap((t) => Object.keys(t.params)))].sort();
  const varying = keys.filter((k) => new Set(input.trials.map((t) => JSON.stringify(t.params[k] ?? null))).size > 1);
  const configurations = reportConfigurations(input.trials, axes.map((a) => a.metric), input.objectives ?? objectives, input.selection);
  return {
    ...configurations,
    title: input.name ?? input.sweepId,
    sweep_id: input.sweepId,
    generated_at: (input.generatedAt ?? new Date()).toISOString(),
    spec_yaml: input.specYaml,
    objectives,
    axes,
    varying_params: varying,
    trials: input.trials.map((t) => ({
      trial_id: t.trial_id,
      params: t.params,
      seed: t.seed,
      status: t.status,
      ...(t.step !== undefined ? { step: t.step } : {}),
      metrics: t.metrics,
      group_metrics: t.group_metrics,
      ...(t.error !== undefined ? { error: t.error } : {}),
      ...(t.artifacts && t.artifacts.length > 0 ? { artifacts: t.artifacts } : {}),
    })),
    frontier_ids: input.frontier.frontier.map((r) => r.trial_id),
    pair_frontiers: pairFrontiers(input.trials, axes.map((a) => a.metric)),
    hypervolume: input.frontier.hypervolume,
    reference: input.frontier.reference,
  };
}
