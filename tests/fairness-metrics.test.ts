import test from 'ava';
import fc from 'fast-check';
import { fairnessReport, expectedCalibrationError, parsePredictionsCsv, MetricsInputError } from '../worker/metrics/index.js';

test('hand-computed metrics on two groups', (t) => {
  // g1: y 1 1 0 0 / ŷ 1 1 1 0 -> acc .75, SR .75, TPR 1, FPR .5 ; g2: y 1 0 0 / ŷ 0 0 0 -> acc 2/3, SR 0, TPR 0, FPR 0
  const r = fairnessReport({ yTrue: [1, 1, 0, 0, 1, 0, 0], yPred: [1, 1, 1, 0, 0, 0, 0], group: ['g1', 'g1', 'g1', 'g1', 'g2', 'g2', 'g2'] });
  t.is(r.accuracy, 5 / 7);
  t.is(r.worst_group_accuracy, 2 / 3);
  t.is(r.demographic_parity_difference, 0.75);
  t.is(r.demographic_parity_ratio, 0);
  t.is(r.equal_opportunity_difference, 1);
  t.is(r.equalized_odds_difference, 1);
  t.deepEqual(r.per_group.g2, { n: 3, accuracy: 2 / 3, selection_rate: 0, tpr: 0, fpr: 0 });
  t.is(r.ece, undefined);
});

test('rates with an empty denominator are 0, and DP ratio is 0 when nobody is selected', (t) => {
  const r = fairnessReport({ yTrue: [0, 0, 1], yPred: [0, 0, 0], group: ['a', 'a', 'b'] });
  t.is(r.per_group.a!.tpr, 0);
  t.is(r.per_group.b!.fpr, 0);
  t.is(r.demographic_parity_ratio, 0);
});

test('ECE binning: confidence max(p, 1-p), label 1 iff p >= 0.5, boundaries belong to the lower bin', (t) => {
  // B = 5: c = 0.6 lies in (0.4, 0.6]; p = 0.5 -> confidence 0.5, predicted 1.
  t.is(expectedCalibrationError([1], [0.6], 5), 0.4);
  t.is(expectedCalibrationError([0], [0.5], 5), 0.5);
  t.is(expectedCalibrationError([1], [0.5], 5), 0.5);
  // 0.6 and 0.55 share the bin (0.4, 0.6]: acc 1/2, mean conf 0.575.
  t.true(Math.abs(expectedCalibrationError([1, 0], [0.6, 0.55], 5) - 0.075) < 1e-12);
  // 0.61 is in the next bin: two bins, each with |acc - conf|.
  t.true(Math.abs(expectedCalibrationError([1, 0], [0.61, 0.55], 5) - (0.5 * 0.39 + 0.5 * 0.55)) < 1e-12);
  t.is(expectedCalibrationError([1, 0], [1, 0], 15), 0);
});

/** Independent implementation, straight from the definitions with plain arrays. */
function naive(yTrue: number[], yPred: number[], group: string[], yScore: number[], bins: number): Record<string, number> {
  const groups = [...new Set(group)];
  const idx = (g: string): number[] => group.map((x, i) => (x === g ? i : -1)).filter((i) => i >= 0);
  const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const sr = groups.map((g) => mean(idx(g).map((i) => yPred[i]!)));
  const tpr = groups.map((g) => mean(idx(g).filter((i) => yTrue[i] === 1).map((i) => yPred[i]!)));
  const fpr = groups.map((g) => mean(idx(g).filter((i) => yTrue[i] === 0).map((i) => yPred[i]!)));
  const acc = groups.map((g) => mean(idx(g).map((i) => (yPred[i] === yTrue[i] ? 1 : 0))));
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const lo = b / bins, hi = (b + 1) / bins;
    const inBin = yScore.map((p, i) => ({ c: Math.max(p, 1 - p), ok: (p >= 0.5 ? 1 : 0) === yTrue[i] ? 1 : 0 })).filter(({ c }) => (c > lo && c <= hi) || (b === 0 && c === 0));
    if (inBin.length) ece += (inBin.length / yTrue.length) * Math.abs(mean(inBin.map((x) => x.ok)) - mean(inBin.map((x) => x.c)));
  }
  return {
    accuracy: mean(yTrue.map((y, i) => (y === yPred[i] ? 1 : 0))),
    worst_group_accuracy: Math.min(...acc),
    demographic_parity_difference: Math.max(...sr) - Math.min(...sr),
    demographic_parity_ratio: Math.max(...sr) > 0 ? Math.min(...sr) / Math.max(...sr) : 0,
    equal_opportunity_difference: Math.max(...tpr) - Math.min(...tpr),
    equalized_odds_difference: Math.max(Math.max(...tpr) - Math.min(...tpr), Math.max(...fpr) - Math.min(...fpr)),
    ece,
  };
}

test('property: every metric agrees with an independent implementation of its definition', (t) => {
  const row = fc.record({ y: fc.integer({ min: 0, max: 1 }), yhat: fc.integer({ min: 0, max: 1 }), g: fc.constantFrom('a', 'b', 'c'), p: fc.integer({ min: 0, max: 20 }).map((k) => k / 20) });
  fc.assert(
    fc.property(fc.array(row, { minLength: 1, maxLength: 80 }), fc.integer({ min: 1, max: 20 }), (rows, bins) => {
      const cols = { yTrue: rows.map((r) => r.y), yPred: rows.map((r) => r.yhat), group: rows.map((r) => r.g), yScore: rows.map((r) => r.p) };
      const got = fairnessReport(cols, { bins }) as unknown as Record<string, number>;
      const want = naive(cols.yTrue, cols.yPred, cols.group, cols.yScore, bins);
      return Object.entries(want).every(([k, v]) => Math.abs((got[k] as number) - v) < 1e-9);
    }),
    { numRuns: 400 },
  );
  t.pass();
});

test('bad input names the row or option', (t) => {
  t.throws(() => fairnessReport({ yTrue: [1, 2], yPred: [1, 1], group: ['a', 'a'] }), { instanceOf: MetricsInputError, message: /row 2: y_true must be 0 or 1, got 2/ });
  t.throws(() => fairnessReport({ yTrue: [], yPred: [], group: [] }), { instanceOf: MetricsInputError, message: /no rows/ });
  t.throws(() => fairnessReport({ yTrue: [1], yPred: [1, 0], group: ['a'] }), { instanceOf: MetricsInputError, message: /differ in length/ });
  t.throws(() => expectedCalibrationError([1], [1.5]), { instanceOf: MetricsInputError, message: /row 1: y_score must be a probability/ });
  t.throws(() => expectedCalibrationError([1], [0.5], 0), { instanceOf: MetricsInputError, message: /bins/ });
});

test('the predictions CSV parser: quoted fields, CRLF, any column order, clear errors', (t) => {
  const cols = parsePredictionsCsv('extra,group,y_pred,y_true\r\n"x,1","grp ""A""",1,0\r\nz,b,0,1\r\n', 'p.csv');
  t.deepEqual(Array.from(cols.yTrue), [0, 1]);
  t.deepEqual(Array.from(cols.yPred), [1, 0]);
  t.deepEqual(cols.group, ['grp "A"', 'b']);
  t.is(cols.yScore, undefined);
  t.throws(() => parsePredictionsCsv('', 'p.csv'), { message: /p\.csv: empty file/ });
  t.throws(() => parsePredictionsCsv('y_true,group\n1,a\n', 'p.csv'), { message: /missing column "y_pred"/ });
  t.throws(() => parsePredictionsCsv('y_true,y_pred,group\n1,1,a\n1,x,b\n', 'p.csv'), { message: /p\.csv line 3, column y_pred: expected 0 or 1, got "x"/ });
  t.throws(() => parsePredictionsCsv('y_true,y_pred,group,y_score\n1,1,a,1.2\n', 'p.csv'), { message: /line 2, column y_score/ });
  t.throws(() => parsePredictionsCsv('y_true,y_pred,group\n1,1,\n', 'p.csv'), { message: /empty group/ });
  t.throws(() => parsePredictionsCsv('y_true,y_pred,group\n', 'p.csv'), { message: /no data rows/ });
});
