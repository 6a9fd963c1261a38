import {
  fromParamMap,
  Goal,
  toParamMap,
  TrialStatus,
  type ConfigurationFrontier,
  type MetricStats,
  type Objective,
  type TrialResult,
} from '../../proto/index.js';
import { InvalidArgumentError } from '../errors.js';
import { AGGREGATES, type Aggregate, type AggregatedObjective } from './aggregate.js';
import { configurationFrontier, type ConfigurationFrontierDocument } from './configuration-frontier.js';
import type { TrialLike } from './group.js';
import { SELECTION_METHODS, type SelectionMethod } from './selection.js';
import type { MetricSummary } from './summary.js';

/**
 * The configuration frontier on the wire (FrontierResponse.configurations): what the Frontier RPC
 * answers by default, computed on the coordinator from its recorded results, and read back by the
 * CLI into the same document `fairsweep frontier` prints for a results file.
 */

const isAggregate = (v: string): v is Aggregate => (AGGREGATES as readonly string[]).includes(v);
const isSelection = (v: string): v is SelectionMethod => (SELECTION_METHODS as readonly string[]).includes(v);
const goalName = (g: Goal): 'max' | 'min' => (g === Goal.GOAL_MIN ? 'min' : 'max');

/** A recorded result as configurations group it: a pruned trial (stopped early) is neither ok nor failed. */
export function trialLikeOf(r: TrialResult): TrialLike {
  return {
    trial_id: r.trialId,
    params: fromParamMap(r.params),
    seed: r.seed,
    status: r.status === TrialStatus.TRIAL_STATUS_OK ? 'ok' : r.status === TrialStatus.TRIAL_STATUS_PRUNED ? 'pruned' : 'failed',
    metrics: r.metrics,
    ...(r.error ? { error: r.error } : {}),
  };
}

/** Objective messages with their aggregates (empty: mean); an unknown aggregate is an InvalidArgumentError naming it. */
export function aggregatedObjectives(objectives: readonly Objective[], where = 'objectives'): AggregatedObjective[] {
  return objectives.map((o, i) => {
    if (o.aggregate === '') return { metric: o.metric, goal: goalName(o.goal) };
    if (!isAggregate(o.aggregate)) throw new InvalidArgumentError(`${where}[${i}].aggregate: expected one of ${AGGREGATES.join(', ')} (or empty for mean), got ${JSON.stringify(o.aggregate.slice(0, 40))}`);
    return { metric: o.metric, goal: goalName(o.goal), aggregate: o.aggregate };
  });
}

/** A selection method as the wire carries it (SweepSpec.selection); empty or unknown: none. */
export function selectionOf(s: string): SelectionMethod | undefined {
  return isSelection(s) ? s : undefined;
}

export interface SweepFrontierInput {
  sweepId: string;
  /** The spec's objectives, used when `objectives` is empty. */
  specObjectives: readonly Objective[];
  /** SweepSpec.selection. */
  selection: string;
  results: Iterable<TrialResult>;
  /** Objectives asked for (FrontierRequest.objectives); empty: the spec's. */
  objectives?: readonly Objective[];
  reference?: readonly number[];
}

/** The configuration frontier of a sweep's recorded results, as the Frontier RPC answers it. */
export function sweepConfigurationFrontier(input: SweepFrontierInput): ConfigurationFrontier {
  const asked = input.objectives && input.objectives.length > 0;
  const objectives = aggregatedObjectives(asked ? (input.objectives ?? []) : input.specObjectives, asked ? 'objectives' : 'spec objectives');
  const selection = selectionOf(input.selection);
  const doc = configurationFrontier([...input.results].map(trialLikeOf), objectives, {
    ...(selection ? { selection } : {}),
    ...(input.reference && input.reference.length > 0 ? { reference: input.reference } : {}),
  });
  return toConfigurationFrontierMessage(input.sweepId, doc);
}

function toStats(s: MetricSummary): MetricStats {
  return {
    n: s.n,
    mean: s.mean,
    median: s.median,
    ...(s.std !== null ? { std: s.std } : {}),
    min: s.min,
    max: s.max,
    ...(s.ci ? { ciLow: s.ci[0], ciHigh: s.ci[1] } : {}),
  };
}

function fromStats(s: MetricStats): MetricSummary {
  return {
    n: s.n,
    mean: s.mean,
    median: s.median,
    std: s.std ?? null,
    min: s.min,
    max: s.max,
    ci: s.ciLow !== undefined && s.ciHigh !== undefined ? [s.ciLow, s.ciHigh] : null,
  };
}

export function toConfigurationFrontierMessage(sweepId: string, doc: ConfigurationFrontierDocument): ConfigurationFrontier {
  return {
    sweepId,
    objectives: doc.objectives.map((o) => ({ metric: o.metric, goal: o.goal === 'min' ? Goal.GOAL_MIN : Goal.GOAL_MAX, aggregate: o.aggregate, selectionMetric: o.selection_metric })),
    selection: doc.selection ?? '',
    confidence: doc.confidence,
    interval: doc.interval,
    configurations: doc.configurations,
    withoutOkSeed: doc.without_ok_seed,
    missingMetrics: doc.missing_metrics,
    rows: doc.frontier.map((r) => ({
      configurationId: r.configuration_id,
      params: toParamMap(r.params),
      seeds: r.seeds,
      failedSeeds: r.failed_seeds,
      trialIds: r.trial_ids,
      values: r.values,
      stats: Object.fromEntries(Object.entries(r.stats).flatMap(([m, s]) => (s ? [[m, toStats(s)]] : []))),
    })),
    ...(doc.hypervolume !== null ? { hypervolume: doc.hypervolume } : {}),
    reference: doc.reference ?? [],
  };
}

/** FrontierResponse.configurations as the document `fairsweep frontier` prints, with the sweep id. */
export function fromConfigurationFrontierMessage(m: ConfigurationFrontier): ConfigurationFrontierDocument & { sweep_id: string } {
  return {
    sweep_id: m.sweepId,
    level: 'configuration',
    objectives: m.objectives.map((o) => ({ metric: o.metric, goal: goalName(o.goal), aggregate: isAggregate(o.aggregate) ? o.aggregate : 'mean', selection_metric: o.selectionMetric })),
    selection: selectionOf(m.selection) ?? null,
    confidence: m.confidence,
    interval: m.interval === 'bootstrap' ? 'bootstrap' : 't',
    configurations: m.configurations,
    without_ok_seed: m.withoutOkSeed,
    missing_metrics: m.missingMetrics,
    frontier: m.rows.map((r) => ({
      configuration_id: r.configurationId,
      params: fromParamMap(r.params),
      seeds: r.seeds,
      failed_seeds: r.failedSeeds,
      trial_ids: r.trialIds,
      // Every metric ranked on or reported, null where no ok seed has it, as the local document has.
      stats: Object.fromEntries([...new Set(m.objectives.flatMap((o) => [o.selectionMetric, o.metric]).concat(Object.keys(r.stats)))].map((k) => {
        const s = r.stats[k];
        return [k, s ? fromStats(s) : null];
      })),
      values: r.values,
    })),
    hypervolume: m.hypervolume ?? null,
    reference: m.reference.length > 0 ? m.reference : null,
  };
}
