import { configurationFrontier, selectionLabel, selectionNote, summarizeConfigurations, type AggregatedObjective, type ConfigurationRow, type RankedObjective, type SelectionMethod, type TrialLike } from '../configurations/index.js';
import { pairFrontiers } from './pair-frontiers.js';

/** What the report shows of configurations (trials that differ only in seed). */
export interface ReportConfigurations {
  /** Every configuration, with the statistics of every plottable metric over its ok seeds. */
  configurations: ConfigurationRow[];
  /** The sweep's configuration frontier (objectives aggregated over seeds, ranked on the selection metrics), in frontier order. */
  configuration_frontier_ids: string[];
  /** The 2-D frontier of each pair of axes over the configurations' means, as indexes into `configurations` (key: `pairKey`). */
  configuration_pair_frontiers: Record<string, number[]>;
  objectives_ranked: RankedObjective[];
  selection: SelectionMethod | null;
  /** `selection: …`: the protocol, printed in the header. */
  protocol: string;
  /** A warning (test objectives without selection) or the oracle label; null when neither applies. */
  selection_note: string | null;
  confidence: number;
  hypervolume_configurations: number | null;
}

/** Configurations, their frontier on the objectives and the pair frontiers of their means. */
export function reportConfigurations(trials: readonly TrialLike[], axes: readonly string[], objectives: readonly AggregatedObjective[], selection: SelectionMethod | undefined): ReportConfigurations {
  const doc = configurationFrontier(trials, objectives, selection ? { selection } : {});
  const metrics = [...new Set([...axes, ...doc.objectives.flatMap((o) => [o.metric, o.selection_metric])])];
  const configurations = summarizeConfigurations(trials, metrics);
  // Each configuration as one point at its means: the page plots these and draws their pair frontiers.
  const points = configurations.map((c) => ({
    trial_id: c.configuration_id,
    status: c.seeds.length > 0 ? 'ok' : 'failed',
    metrics: Object.fromEntries(Object.entries(c.stats).flatMap(([m, s]) => (s ? [[m, s.mean]] : []))),
  }));
  return {
    configurations,
    configuration_frontier_ids: doc.frontier.map((r) => r.configuration_id),
    configuration_pair_frontiers: pairFrontiers(points, axes),
    objectives_ranked: doc.objectives,
    selection: doc.selection,
    protocol: selectionLabel(selection),
    selection_note: selectionNote(objectives, selection),
    confidence: doc.confidence,
    hypervolume_configurations: doc.hypervolume,
  };
}
