import { fairnessReport } from '../metrics/index.js';
import type { Split } from '../datasets/index.js';
import type { GroupMetricsRow } from '../methods/types.js';

/** The METHODS.md metrics reported per split, named `<split>/<metric>`. */
export const SPLIT_METRICS = [
  'accuracy',
  'worst_group_accuracy',
  'demographic_parity_difference',
  'demographic_parity_ratio',
  'equal_opportunity_difference',
  'equalized_odds_difference',
  'ece',
] as const;

/**
 * Metrics of predictions p = P(y=1) on a split. Demographic parity, equal opportunity, equalized
 * odds and ECE are taken between values of the sensitive attribute; worst-group accuracy over the
 * split's groups (the (label, attribute) pairs in spurious-correlation data), whose statistics are
 * also returned as per-group rows.
 */
export function splitMetrics(name: string, split: Split, p: Float32Array): { metrics: Record<string, number>; groups: GroupMetricsRow[] } {
  const yPred = new Float32Array(split.n);
  for (let i = 0; i < split.n; i++) yPred[i] = (p[i] as number) >= 0.5 ? 1 : 0;
  const byAttribute = fairnessReport({ yTrue: split.y, yPred, group: split.attribute, yScore: p });
  const byGroup = fairnessReport({ yTrue: split.y, yPred, group: split.group });
  const metrics: Record<string, number> = {
    [`${name}/accuracy`]: byAttribute.accuracy,
    [`${name}/worst_group_accuracy`]: byGroup.worst_group_accuracy,
    [`${name}/demographic_parity_difference`]: byAttribute.demographic_parity_difference,
    [`${name}/demographic_parity_ratio`]: byAttribute.demographic_parity_ratio,
    [`${name}/equal_opportunity_difference`]: byAttribute.equal_opportunity_difference,
    [`${name}/equalized_odds_difference`]: byAttribute.equalized_odds_difference,
    [`${name}/ece`]: byAttribute.ece ?? NaN,
  };
  const groups: GroupMetricsRow[] = Object.entries({ ...byGroup.per_group, ...byAttribute.per_group }).map(([group, s]) => ({
    split: name,
    group,
    metrics: { n: s.n, accuracy: s.accuracy, selection_rate: s.selection_rate, tpr: s.tpr, fpr: s.fpr },
  }));
  return { metrics, groups };
}
