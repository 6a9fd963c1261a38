import test from 'ava';
import { loadBackend } from '../worker/backend.js';
import { getMethod } from '../catalog/index.js';
import { loadMethod } from '../worker/index.js';
import { loadDataset } from '../worker/datasets/index.js';
import { fitSteering, moments, steer, symmetricEigen } from '../worker/training/gaussian-steering.js';
import type { TrialRuntime, TrialOutput } from '../worker/methods/types.js';
import type { Params } from '../proto/index.js';

const rt = (): TrialRuntime => ({ signal: new AbortController().signal, heartbeat: () => undefined, backend: () => loadBackend() });

const groupIdx = (attr: readonly string[], g: string): number[] => attr.flatMap((a, i) => (a === g ? [i] : []));

test('symmetric eigendecomposition reconstructs the matrix', (t) => {
  const d = 4;
  const m = Float64Array.from([4, 1, 0.5, 0, 1, 3, 0.2, 0.1, 0.5, 0.2, 2, 0.3, 0, 0.1, 0.3, 1]);
  const { values, vectors } = symmetricEigen(m, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += vectors[i * d + k]! * values[k]! * vectors[j * d + k]!;
    t.true(Math.abs(s - m[i * d + j]!) < 1e-9);
  }
});

test('steering with strength 1 gives every group the same mean and covariance; strength 0 is the identity', (t) => {
  const data = loadDataset('spurious', { n: 3000, d: 3, env_p_maj: [0.9, 0.8] }, 0);
  const d = data.dim;
  const maps = fitSteering(data.train.x, d, data.train.attribute);
  const full = steer(maps, data.train.x, data.train.attribute, 1);
  const [a, b] = ['a=-1', 'a=1'].map((g) => moments(full, d, groupIdx(data.train.attribute, g)));
  for (let i = 0; i < d; i++) {
    t.true(Math.abs(a!.mean[i]! - b!.mean[i]!) < 1e-3, `mean ${i}: ${a!.mean[i]} vs ${b!.mean[i]}`);
    t.true(Math.abs(a!.mean[i]! - maps.target[i]!) < 1e-3);
    for (let j = 0; j < d; j++) t.true(Math.abs(a!.cov[i * d + j]! - b!.cov[i * d + j]!) < 2e-3, `cov ${i},${j}`);
  }
  // Before steering the groups differ (the spurious feature follows the attribute).
  const [a0, b0] = ['a=-1', 'a=1'].map((g) => moments(data.train.x, d, groupIdx(data.train.attribute, g)));
  t.true(Math.abs(a0!.mean[1]! - b0!.mean[1]!) > 1.5);
  t.deepEqual(steer(maps, data.train.x, data.train.attribute, 0), data.train.x);
  // Half strength moves the means halfway.
  const half = steer(maps, data.train.x, data.train.attribute, 0.5);
  const ah = moments(half, d, groupIdx(data.train.attribute, 'a=-1'));
  t.true(Math.abs(ah.mean[1]! - (a0!.mean[1]! + maps.target[1]!) / 2) < 1e-3);
});

async function run(method: string, params: Record<string, unknown>): Promise<TrialOutput> {
  const d = getMethod(method)!;
  const dataset = { name: 'spurious', options: { n: 1500, d: 2, env_p_maj: [0.9, 0.85], test_p_maj: 0.9 } };
  return (await loadMethod(d.name)!).run({ trialId: method, sweepId: 's', params: d.params.parse(params) as Params, seed: 0, attempt: 1, dataset }, rt());
}

test.serial('steer: full strength brings the demographic parity difference near zero; no tensor leaked', async (t) => {
  const { tf } = await loadBackend();
  const before = tf.memory().numTensors;
  const none = await run('steer', { strength: 0, steps: 200, lr: 0.01, hidden: [8] });
  const full = await run('steer', { strength: 1, steps: 200, lr: 0.01, hidden: [8] });
  t.is(tf.memory().numTensors, before);
  t.true(none.metrics['test/demographic_parity_difference']! > 0.3, `unsteered DP ${none.metrics['test/demographic_parity_difference']}`);
  t.true(full.metrics['train/demographic_parity_difference']! < 0.1, `steered DP ${full.metrics['train/demographic_parity_difference']}`);
  t.true(full.metrics['test/demographic_parity_difference']! < none.metrics['test/demographic_parity_difference']! - 0.2);
});

test.serial('reprogram: a large lambda makes the group harder to recover and lowers the parity gap; no tensor leaked', async (t) => {
  const { tf } = await loadBackend();
  const before = tf.memory().numTensors;
  const base = { steps: 200, lr: 0.01, hidden: [8], trigger_steps: 300, trigger_lr: 0.05 };
  const off = await run('reprogram', { ...base, lambda: 0 });
  const on = await run('reprogram', { ...base, lambda: 5 });
  t.is(tf.memory().numTensors, before);
  t.true(on.metrics['train/discriminator_loss']! > off.metrics['train/discriminator_loss']!, `discriminator loss ${on.metrics['train/discriminator_loss']} vs ${off.metrics['train/discriminator_loss']}`);
  t.true(on.metrics['train/demographic_parity_difference']! < off.metrics['train/demographic_parity_difference']!, `DP ${on.metrics['train/demographic_parity_difference']} vs ${off.metrics['train/demographic_parity_difference']}`);
});
