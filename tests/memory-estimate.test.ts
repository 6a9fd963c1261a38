import test from 'ava';
import { fileURLToPath } from 'node:url';
import { datasetShape, getMethod, mlpParameters, type DatasetShape } from '../catalog/index.js';
import { toParamMap, type Params, type Shard, type Trial } from '../proto/index.js';
import { loadBackend } from '../worker/backend.js';
import { loadDataset, DataRoot } from '../worker/datasets/index.js';
import { memoryBudget, shapeOf, TrialMemoryError } from '../worker/index.js';
import { isUnrecoverable } from '../worker/errors.js';
import { createMlp, disposeMlp } from '../worker/training/mlp.js';
import { trainMlp, type TrainObjective } from '../worker/training/trainer.js';
import { executeTrial } from '../worker/runtime/trial-execution.js';
import type { TrialRuntime } from '../worker/methods/types.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const MIB = 1024 * 1024;
const backend = loadBackend({ prefer: ['cpu'] });

test.serial('a built MLP holds exactly the parameters the catalog counts, 4 bytes each', async (t) => {
  const { tf } = await backend;
  const before = tf.memory();
  const model = createMlp(tf, 12, [64, 32], 0);
  const after = tf.memory();
  t.is(mlpParameters([12, 64, 32, 1]), (12 + 1) * 64 + (64 + 1) * 32 + (32 + 1) * 1);
  t.is([...model.weights, ...model.biases].reduce((n, v) => n + v.size, 0), mlpParameters([12, 64, 32, 1]));
  t.is(after.numBytes - before.numBytes, 4 * mlpParameters([12, 64, 32, 1]));
  disposeMlp(model);
  t.is(tf.memory().numTensors, before.numTensors);
});

const cases: { method: string; objective: TrainObjective; hidden: number[]; n: number; d: number }[] = [
  { method: 'erm', objective: { kind: 'erm' }, hidden: [1024, 1024], n: 16, d: 2 },
  { method: 'erm', objective: { kind: 'erm' }, hidden: [2048], n: 3000, d: 0 },
  { method: 'erm', objective: { kind: 'erm' }, hidden: [256, 256, 256], n: 1000, d: 20 },
  { method: 'irm', objective: { kind: 'irm', penaltyWeight: 10, annealIters: 0 }, hidden: [512], n: 4000, d: 10 },
  { method: 'ib-irm', objective: { kind: 'ib-irm', penaltyWeight: 10, annealIters: 0, ibLambda: 0.1, ibAnnealIters: 0 }, hidden: [128, 128], n: 4000, d: 10 },
];

for (const c of cases) {
  test.serial(`the estimate of ${c.method} hidden ${JSON.stringify(c.hidden)} on ${c.n} rows is within a factor of 1.5 of the tensors' peak while it trains`, async (t) => {
    const { tf } = await backend;
    const data = loadDataset('spurious', { n: c.n, d: c.d }, 0);
    const estimate = getMethod(c.method)?.memory?.({ hidden: c.hidden }, shapeOf(data));
    if (!estimate) return t.fail('no estimate');
    const tensors = tf.memory().numTensors;
    const profile = await tf.profile(async () => {
      const r = await trainMlp(tf, data.dim, data.environments, { steps: 2, lr: 0.01, l2: 0.001, hidden: c.hidden, seed: 0, objective: c.objective, signal: new AbortController().signal, heartbeat: () => undefined });
      disposeMlp(r.model);
      return [];
    });
    const ratio = profile.peakBytes / estimate.bytes;
    t.log(`peak ${(profile.peakBytes / MIB).toFixed(1)} MiB, estimate ${(estimate.bytes / MIB).toFixed(1)} MiB`);
    t.true(ratio > 1 / 1.5 && ratio < 1.5, `peak / estimate = ${ratio.toFixed(2)}`);
    t.is(tf.memory().numTensors, tensors);
  });
}

test('the catalog knows each generated dataset\'s shape from its options, as the worker builds it', (t) => {
  const options: [string, Params][] = [
    ['spurious', {}],
    ['spurious', { n: 300, d: 4, n_val: 17 }],
    ['toxicity', { n: 200, groups: 3, neutral_terms: 10 }],
    ['colored-mnist', { n_train: 500, n_val: 100, n_test: 200 }],
    ['colored-mnist', { grayscale: true, n_test: 100, n_val: 50 }],
  ];
  for (const [name, o] of options) {
    const built = shapeOf(loadDataset(name, o, 1));
    t.deepEqual(datasetShape(name, o), built, `${name} ${JSON.stringify(o)}`);
  }
  t.is(datasetShape('csv', { path: 'x.csv', label: 'y', group: 'g' }), undefined);
});

function trialOf(method: string, dataset: { name: string; options: Params }, params: Params): { shard: Shard; trial: Trial } {
  const trial: Trial = { id: 't0', sweepId: 'memory-test', index: 0, params: toParamMap(params), seed: 0 };
  return { shard: { id: 'memory-test-s0', sweepId: 'memory-test', method, dataset: { name: dataset.name, options: toParamMap(dataset.options) }, trials: [trial], maxAttempts: 3, pack: 0 }, trial };
}

const runtime = (budgetMb: number, slots = 1): TrialRuntime => ({
  signal: new AbortController().signal,
  heartbeat: () => undefined,
  backend: () => backend,
  dataRoot: new DataRoot(REPO, 64 * MIB),
  memoryBudget: memoryBudget(budgetMb, slots),
});

test.serial('a worker refuses a trial over its memory budget before building anything: not retried, naming the param and the estimate', async (t) => {
  // 10^6 rows × 10,002 features would be a 40 GB array: refused from the dataset's shape, before it is built.
  const huge = trialOf('erm', { name: 'spurious', options: { n: 1_000_000, d: 10_000 } }, { hidden: [8], steps: 1 });
  const err = await t.throwsAsync(executeTrial(huge.shard, huge.trial, 1, runtime(2048)), { instanceOf: TrialMemoryError });
  t.true(isUnrecoverable(err));
  t.regex(err?.message ?? '', /^hidden \[8\] needs about \d+(\.\d+)? GiB \(.*over 1000000 training rows.*\), more than this worker's 2048 MiB per trial \(--memory-mb 2048 over 1 slot\); not retried$/);
  const wide = trialOf('erm', { name: 'spurious', options: { n: 200 } }, { hidden: [65536, 65536], steps: 1 });
  t.regex((await t.throwsAsync(executeTrial(wide.shard, wide.trial, 1, runtime(4096, 2)), { instanceOf: TrialMemoryError }))?.message ?? '', /^hidden \[65536, 65536\] needs about \d+(\.\d+)? GiB \(a model of 4\.\d+e\+9 parameters.*more than this worker's 2048 MiB per trial \(--memory-mb 4096 over 2 slots\)/);
  // A csv dataset's shape is its file's: checked once read, before the model is built.
  const csv = trialOf('group-balancing', { name: 'csv', options: { path: 'examples/data/loans.csv', label: 'repaid', group: 'group', features: ['income', 'debt_ratio', 'years_employed'] } }, { hidden: [1024, 1024], steps: 1 });
  t.regex((await t.throwsAsync(executeTrial(csv.shard, csv.trial, 1, runtime(16)), { instanceOf: TrialMemoryError }))?.message ?? '', /^hidden \[1024, 1024\] needs about .* training rows.*more than this worker's 16 MiB per trial/);
  // Within the budget, the same trial runs.
  const small = trialOf('erm', { name: 'spurious', options: { n: 200 } }, { hidden: [8], steps: 2 });
  const out = await executeTrial(small.shard, small.trial, 1, runtime(16));
  t.true(Number.isFinite(out.metrics['test/accuracy']));
});

test('an estimate grows with every part it counts', (t) => {
  const shape: DatasetShape = { dim: 10, train: 1000, val: 100, test: 100, groups: 2 };
  const erm = getMethod('erm')?.memory;
  if (!erm) return t.fail('erm has no estimate');
  const base = erm({ hidden: [64] }, shape);
  t.truthy(base);
  t.true((erm({ hidden: [128] }, shape)?.bytes ?? 0) > (base?.bytes ?? 0));
  t.true((erm({ hidden: [64] }, { ...shape, train: 2000 })?.bytes ?? 0) > (base?.bytes ?? 0));
  t.true((erm({ hidden: [64] }, { ...shape, dim: 20 })?.bytes ?? 0) > (base?.bytes ?? 0));
  // Defaults apply: no hidden is the method's default [64].
  t.is(erm({}, shape)?.bytes, base?.bytes);
  t.is(getMethod('sleep')?.memory, undefined);
});
