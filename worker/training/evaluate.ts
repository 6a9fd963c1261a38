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

/** The class predicted from P(y = 1): 1 from 0.5 up. */
const predictedLabel = (p: number): 0 | 1 => (p >= 0.5 ? 1 : 0);

/** What the split metrics are computed from: labels, P(y = 1), the sensitive attribute and the group of each row. */
export interface ScoredRows {
  n: number;
  y: ArrayLike<number>;
  /** P(y = 1) of each row. */
  p: ArrayLike<number>;
  /** The predicted class of each row; default: 1 where p >= 0.5. */
  yPred?: ArrayLike<number>;
  attribute: readonly string[];
  group: readonly string[];
}

/**
 * Metrics of predictions p = P(y=1) on a split. Demographic parity, equal opportunity, equalized
 * odds and ECE are taken between values of the sensitive attribute; worst-group accuracy over the
 * split's groups (the (label, attribute) pairs in spurious-correlation data), whose statistics are
 * also returned as per-group rows.
 */
export function splitMetrics(name: string, split: Split, p: Float32Array): { metrics: Record<string, number>; groups: GroupMetricsRow[] } {
  return scoredRowsMetrics(name, { n: split.n, y: split.y, p, attribute: split.attribute, group: split.group });
}

/** splitMetrics of any scored rows (a built-in model's, or the predictions file of a command trial). */
export function scoredRowsMetrics(name: string, rows: ScoredRows): { metrics: Record<string, number>; groups: GroupMetricsRow[] } {
  const { p } = rows;
  let yPred = rows.yPred;
  if (!yPred) {
    const labels = new Float32Array(rows.n);
    for (let i = 0; i < rows.n; i++) labels[i] = predictedLabel(p[i] as number);
    yPred = labels;
  }
  const byAttribute = fairnessReport({ yTrue: rows.y, yPred, group: rows.attribute, yScore: p });
  const byGroup = fairnessReport({ yTrue: rows.y, yPred, group: rows.group });
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

/**
 * With several training environments: the accuracy on each (`train/env<i>/accuracy`, in the
 * dataset's order) and the lowest of them (`train/worst_env_accuracy`), from the predictions on the
 * pooled training split (the environments concatenated in order). Arjovsky et al. selected IRM's
 * hyperparameters by the lowest of the training environments' and the test accuracies.
 */
export function environmentAccuracies(environments: readonly Split[], trainProba: Float32Array): Record<string, number> {
  if (environments.length < 2) return {};
  const out: Record<string, number> = {};
  let off = 0;
  let worst = Infinity;
  environments.forEach((e, i) => {
    let correct = 0;
    for (let r = 0; r < e.n; r++) if (predictedLabel(trainProba[off + r] as number) === e.y[r]) correct++;
    off += e.n;
    const acc = e.n > 0 ? correct / e.n : NaN;
    out[`train/env${i}/accuracy`] = acc;
    if (acc < worst) worst = acc;
  });
  out['train/worst_env_accuracy'] = worst;
  return out;
}
