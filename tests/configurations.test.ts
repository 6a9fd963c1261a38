import test from 'ava';
import {
  aggregateValue,
  bootstrapInterval,
  configurationFrontier,
  groupConfigurations,
  pairedDifference,
  selectionMetric,
  selectionNote,
  studentTCdf,
  studentTQuantile,
  summarize,
  tInterval,
  type TrialLike,
} from '../coordinator/configurations/index.js';

const close = (a: number | null | undefined, b: number, eps = 1e-6): boolean => typeof a === 'number' && Math.abs(a - b) < eps;

function trial(params: Record<string, number>, seed: number, metrics: Record<string, number>, status: 'ok' | 'failed' = 'ok'): TrialLike {
  return { trial_id: `t-${JSON.stringify(params)}-${seed}`, params, seed, status, metrics, ...(status === 'failed' ? { error: 'boom' } : {}) };
}

test('Student t quantiles match the published table (two-sided 95 % and 99 %) and the normal limit', (t) => {
  const table: [number, number, number][] = [
    [0.975, 1, 12.706],
    [0.975, 2, 4.303],
    [0.975, 4, 2.776],
    [0.975, 9, 2.262],
    [0.975, 30, 2.042],
    [0.995, 10, 3.169],
    [0.95, 5, 2.015],
    [0.975, 1e7, 1.96],
  ];
  for (const [p, df, want] of table) t.true(close(studentTQuantile(p, df), want, 5e-4), `t(${p}, ${df}) = ${studentTQuantile(p, df)}, want ${want}`);
  t.true(close(studentTQuantile(0.975, 1), 12.7062047, 1e-6));
  t.true(close(studentTQuantile(0.025, 4), -2.7764451, 1e-6));
  t.is(studentTQuantile(0.5, 3), 0);
  t.true(close(studentTCdf(0, 7), 0.5, 1e-12));
  // Cauchy (df 1): F(t) = 1/2 + atan(t)/π.
  for (const x of [-3, -0.5, 0.25, 1, 10]) t.true(close(studentTCdf(x, 1), 0.5 + Math.atan(x) / Math.PI, 1e-10));
  t.throws(() => studentTQuantile(1, 3), { instanceOf: RangeError });
  t.throws(() => studentTQuantile(0.9, 0), { instanceOf: RangeError });
});

test('t-interval of three seeds, computed by hand: mean 0.8, s 0.1, half-width 4.302653 · 0.1/√3', (t) => {
  const s = summarize([0.7, 0.8, 0.9]);
  t.truthy(s);
  t.is(s?.n, 3);
  t.true(close(s?.mean, 0.8));
  t.true(close(s?.std ?? null, 0.1));
  t.true(close(s?.ci?.[0], 0.8 - 0.2484138, 1e-6));
  t.true(close(s?.ci?.[1], 0.8 + 0.2484138, 1e-6));
  t.true(close(s?.median, 0.8));
  t.deepEqual(tInterval([1]), null);
});

test('a single seed has a mean but no std and no interval (undefined, shown as such)', (t) => {
  const s = summarize([0.42]);
  t.is(s?.n, 1);
  t.is(s?.mean, 0.42);
  t.is(s?.std, null);
  t.is(s?.ci, null);
  t.is(summarize([]), null);
});

test('configurations: a failed seed is counted and kept out of the mean, by hand', (t) => {
  const trials = [
    trial({ w: 1 }, 0, { acc: 0.7 }),
    trial({ w: 1 }, 1, { acc: 0.8 }),
    trial({ w: 1 }, 2, {}, 'failed'),
    trial({ w: 2 }, 0, { acc: 0.5 }),
  ];
  const configs = groupConfigurations(trials);
  t.is(configs.length, 2);
  const [c1, c2] = configs;
  t.deepEqual(c1?.ok.map((x) => x.seed), [0, 1]);
  t.deepEqual(c1?.failed.map((x) => x.seed), [2]);
  const doc = configurationFrontier(trials, [{ metric: 'acc', goal: 'max' }]);
  const row = doc.frontier[0];
  t.is(row?.configuration_id, c1?.id);
  t.deepEqual(row?.seeds, [0, 1]);
  t.deepEqual(row?.failed_seeds, [2]);
  const s = row?.stats.acc;
  t.is(s?.n, 2);
  t.true(close(s?.mean, 0.75));
  t.true(close(s?.std ?? null, Math.SQRT2 * 0.05)); // √((0.05² + 0.05²)/1)
  // t(0.975, 1) · s/√2 = 12.7062047 · 0.05
  t.true(close(s?.ci?.[0], 0.75 - 0.63531024, 1e-6));
  t.true(close(s?.ci?.[1], 0.75 + 0.63531024, 1e-6));
  t.not(c2?.id, c1?.id);
  t.is(doc.configurations, 2);
});

test('aggregates: worst is the lowest seed of a maximised metric and the highest of a minimised one; best the reverse', (t) => {
  const s = summarize([0.2, 0.9, 0.4]);
  t.is(aggregateValue(s, 'worst', 'max'), 0.2);
  t.is(aggregateValue(s, 'worst', 'min'), 0.9);
  t.is(aggregateValue(s, 'best', 'max'), 0.9);
  t.is(aggregateValue(s, 'best', 'min'), 0.2);
  t.true(close(aggregateValue(s, 'mean', 'max'), 0.5));
  t.is(aggregateValue(s, 'median', 'min'), 0.4);
  t.true(Number.isNaN(aggregateValue(null, 'mean', 'max')));
});

test('the frontier is over configurations, not seeds: a lucky seed does not put a configuration on it', (t) => {
  // A: seeds 0.9 and 0.5 (mean 0.7, worst 0.5); B: 0.72 and 0.70 (mean 0.71, worst 0.70).
  const trials = [trial({ c: 1 }, 0, { acc: 0.9 }), trial({ c: 1 }, 1, { acc: 0.5 }), trial({ c: 2 }, 0, { acc: 0.72 }), trial({ c: 2 }, 1, { acc: 0.7 })];
  const byMean = configurationFrontier(trials, [{ metric: 'acc', goal: 'max' }]);
  t.deepEqual(byMean.frontier.map((r) => r.params), [{ c: 2 }]);
  t.true(close(byMean.frontier[0]?.values[0], 0.71));
  const byBest = configurationFrontier(trials, [{ metric: 'acc', goal: 'max', aggregate: 'best' }]);
  t.deepEqual(byBest.frontier.map((r) => r.params), [{ c: 1 }]);
  const byWorst = configurationFrontier(trials, [{ metric: 'acc', goal: 'max', aggregate: 'worst' }]);
  t.deepEqual(byWorst.frontier.map((r) => r.params), [{ c: 2 }]);
  t.is(byWorst.frontier[0]?.values[0], 0.7);
});

test('selection: training-domain validation and the oracle choose different configurations; test is reported beside', (t) => {
  // A fits the training environments (high trainval) but transfers worse; B the reverse.
  const trials = [
    trial({ w: 0 }, 0, { 'trainval/accuracy': 0.9, 'test/accuracy': 0.6 }),
    trial({ w: 0 }, 1, { 'trainval/accuracy': 0.88, 'test/accuracy': 0.62 }),
    trial({ w: 100 }, 0, { 'trainval/accuracy': 0.8, 'test/accuracy': 0.7 }),
    trial({ w: 100 }, 1, { 'trainval/accuracy': 0.78, 'test/accuracy': 0.72 }),
  ];
  const objectives = [{ metric: 'test/accuracy', goal: 'max' as const }];
  const td = configurationFrontier(trials, objectives, { selection: 'training-domain' });
  t.is(td.objectives[0]?.selection_metric, 'trainval/accuracy');
  t.deepEqual(td.frontier.map((r) => r.params), [{ w: 0 }]);
  t.true(close(td.frontier[0]?.values[0], 0.89));
  t.true(close(td.frontier[0]?.stats['test/accuracy']?.mean, 0.61)); // the chosen configuration's test accuracy, beside
  const oracle = configurationFrontier(trials, objectives, { selection: 'oracle' });
  t.is(oracle.objectives[0]?.selection_metric, 'test/accuracy');
  t.deepEqual(oracle.frontier.map((r) => r.params), [{ w: 100 }]);
  t.is(oracle.selection, 'oracle');
  t.deepEqual(td.missing_metrics, []);
  // Results without trainval metrics: nothing to rank, and the document says which metric is missing.
  const old = configurationFrontier(trials.map((x) => ({ ...x, metrics: { 'test/accuracy': x.metrics['test/accuracy'] ?? 0 } })), objectives, { selection: 'training-domain' });
  t.deepEqual(old.frontier, []);
  t.deepEqual(old.missing_metrics, ['trainval/accuracy']);
  t.is(selectionMetric('train/worst_env_accuracy', 'training-domain'), 'train/worst_env_accuracy');
  t.is(selectionMetric('test/ece', 'leave-one-domain-out'), 'lodo/ece');
  t.regex(selectionNote(objectives, undefined) ?? '', /test metrics and the spec names no selection/);
  t.regex(selectionNote(objectives, 'oracle') ?? '', /^oracle selection/);
  t.is(selectionNote(objectives, 'training-domain'), null);
  t.is(selectionNote([{ metric: 'val/accuracy' }], undefined), null);
});

test('paired comparison over shared seeds, by hand: differences 0.1, 0.2, 0.05', (t) => {
  const baseline = new Map([[0, 0.5], [1, 0.6], [2, 0.7]]);
  const other = new Map([[0, 0.6], [1, 0.8], [2, 0.75], [3, 0.9]]);
  const d = pairedDifference(other, baseline);
  t.deepEqual(d.seeds, [0, 1, 2]);
  t.is(d.n, 3);
  t.true(close(d.mean, 0.35 / 3));
  t.true(close(d.std, 0.0763763, 1e-6));
  // t(0.975, 2) · 0.0763763/√3 = 0.1897294
  t.true(close(d.ci?.[0], 0.35 / 3 - 0.1897294, 1e-6));
  t.true(close(d.ci?.[1], 0.35 / 3 + 0.1897294, 1e-6));
  const one = pairedDifference(new Map([[5, 1]]), new Map([[5, 0.5]]));
  t.is(one.n, 1);
  t.is(one.mean, 0.5);
  t.is(one.ci, null);
  t.is(pairedDifference(new Map([[1, 1]]), new Map([[2, 1]])).mean, null);
});

test('bootstrap interval: deterministic, inside the range of the seeds, around the mean', (t) => {
  const xs = [0.61, 0.72, 0.65, 0.7, 0.68];
  const a = bootstrapInterval(xs, 0.95, 2000, 7);
  t.deepEqual(a, bootstrapInterval(xs, 0.95, 2000, 7));
  t.truthy(a);
  const [lo, hi] = a ?? [0, 0];
  t.true(lo >= 0.61 && hi <= 0.72 && lo < 0.672 && hi > 0.672);
  const s = summarize(xs, { interval: 'bootstrap' });
  t.truthy(s?.ci);
  t.is(bootstrapInterval([1], 0.95, 2000, 0), null);
});
