/** Binary-classification fairness metrics, exactly as defined in METHODS.md. */
import { at } from '../checked-access.js';

export interface PredictionColumns {
  yTrue: ArrayLike<number>;
  yPred: ArrayLike<number>;
  group: ReadonlyArray<string>;
  /** P(y = 1), for ECE. */
  yScore?: ArrayLike<number>;
}

export interface GroupStats {
  n: number;
  accuracy: number;
  selection_rate: number;
  tpr: number;
  fpr: number;
}

export interface FairnessReport {
  n: number;
  accuracy: number;
  worst_group_accuracy: number;
  demographic_parity_difference: number;
  demographic_parity_ratio: number;
  equal_opportunity_difference: number;
  equalized_odds_difference: number;
  ece?: number;
  per_group: Record<string, GroupStats>;
}

/** Input that cannot be scored; the message names the row or option. */
export class MetricsInputError extends Error {
  override name = 'MetricsInputError';
}

export const DEFAULT_ECE_BINS = 15;

function check01(v: number, what: string, row: number): void {
  if (v !== 0 && v !== 1) throw new MetricsInputError(`row ${row + 1}: ${what} must be 0 or 1, got ${v}`);
}

/** Top-label ECE: confidence max(p, 1−p), label 1 iff p ≥ 0.5, bins (i/B, (i+1)/B] (the first also holds 0). */
export function expectedCalibrationError(yTrue: ArrayLike<number>, yScore: ArrayLike<number>, bins = DEFAULT_ECE_BINS): number {
  if (!Number.isInteger(bins) || bins < 1) throw new MetricsInputError(`bins must be an integer >= 1, got ${bins}`);
  const n = yTrue.length;
  if (n === 0) throw new MetricsInputError('no rows to score');
  if (yScore.length !== n) throw new MetricsInputError(`y_score has ${yScore.length} values for ${n} rows`);
  const count = new Float64Array(bins);
  const correct = new Float64Array(bins);
  const conf = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const p = at(yScore, i, 'y_score');
    if (!(p >= 0 && p <= 1)) throw new MetricsInputError(`row ${i + 1}: y_score must be a probability in [0, 1], got ${p}`);
    const y = at(yTrue, i, 'y_true');
    check01(y, 'y_true', i);
    const c = p >= 0.5 ? p : 1 - p;
    const label = p >= 0.5 ? 1 : 0;
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(c * bins) - 1));
    count[b]! += 1;
    conf[b]! += c;
    if (label === y) correct[b]! += 1;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const k = at(count, b);
    if (k > 0) ece += (k / n) * Math.abs(at(correct, b) / k - at(conf, b) / k);
  }
  return ece;
}

/** Every METHODS.md metric plus per-group statistics, in one pass over the rows. */
export function fairnessReport(cols: PredictionColumns, options: { bins?: number } = {}): FairnessReport {
  const n = cols.yTrue.length;
  if (n === 0) throw new MetricsInputError('no rows to score');
  if (cols.yPred.length !== n || cols.group.length !== n) {
    throw new MetricsInputError(`columns differ in length: y_true ${n}, y_pred ${cols.yPred.length}, group ${cols.group.length}`);
  }
  const stats = new Map<string, { n: number; correct: number; sel: number; pos: number; tp: number; neg: number; fp: number }>();
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const y = at(cols.yTrue, i, 'y_true');
    const p = at(cols.yPred, i, 'y_pred');
    check01(y, 'y_true', i);
    check01(p, 'y_pred', i);
    const g = at(cols.group, i, 'group');
    let s = stats.get(g);
    if (!s) stats.set(g, (s = { n: 0, correct: 0, sel: 0, pos: 0, tp: 0, neg: 0, fp: 0 }));
    s.n++;
    if (y === p) {
      s.correct++;
      correct++;
    }
    if (p === 1) s.sel++;
    if (y === 1) {
      s.pos++;
      if (p === 1) s.tp++;
    } else {
      s.neg++;
      if (p === 1) s.fp++;
    }
  }
  const per_group: Record<string, GroupStats> = {};
  let minAcc = Infinity;
  let minSr = Infinity, maxSr = -Infinity, minTpr = Infinity, maxTpr = -Infinity, minFpr = Infinity, maxFpr = -Infinity;
  for (const [g, s] of [...stats].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const gs: GroupStats = {
      n: s.n,
      accuracy: s.correct / s.n,
      selection_rate: s.sel / s.n,
      tpr: s.pos > 0 ? s.tp / s.pos : 0,
      fpr: s.neg > 0 ? s.fp / s.neg : 0,
    };
    per_group[g] = gs;
    minAcc = Math.min(minAcc, gs.accuracy);
    minSr = Math.min(minSr, gs.selection_rate);
    maxSr = Math.max(maxSr, gs.selection_rate);
    minTpr = Math.min(minTpr, gs.tpr);
    maxTpr = Math.max(maxTpr, gs.tpr);
    minFpr = Math.min(minFpr, gs.fpr);
    maxFpr = Math.max(maxFpr, gs.fpr);
  }
  const report: FairnessReport = {
    n,
    accuracy: correct / n,
    worst_group_accuracy: minAcc,
    demographic_parity_difference: maxSr - minSr,
    demographic_parity_ratio: maxSr > 0 ? minSr / maxSr : 0,
    equal_opportunity_difference: maxTpr - minTpr,
    equalized_odds_difference: Math.max(maxTpr - minTpr, maxFpr - minFpr),
    per_group,
  };
  if (cols.yScore) report.ece = expectedCalibrationError(cols.yTrue, cols.yScore, options.bins ?? DEFAULT_ECE_BINS);
  return report;
}
