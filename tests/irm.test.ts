import test from 'ava';
import { loadBackend } from '../worker/backend.js';
import { bceWithLogits, irmPenalty, penaltySchedule } from '../worker/training/losses.js';
import { trainMlp } from '../worker/training/trainer.js';
import { disposeMlp } from '../worker/training/mlp.js';
import { loadDataset } from '../worker/datasets/index.js';
import { getMethod } from '../catalog/index.js';
import { loadMethod } from '../worker/index.js';
import { TrialCancelledError, TrialFailedError } from '../worker/errors.js';
import type { TrialRuntime } from '../worker/methods/types.js';
import { Rng } from '../common/random.js';
import { environmentAccuracies } from '../worker/training/evaluate.js';

const runtime = (signal = new AbortController().signal): TrialRuntime => ({ signal, heartbeat: () => undefined, backend: () => loadBackend() });

test('the IRMv1 penalty equals the squared finite-difference derivative of the risk wrt a dummy scale at 1', async (t) => {
  const { tf } = await loadBackend();
  const rng = new Rng(7);
  for (let trial = 0; trial < 5; trial++) {
    const n = 50;
    const z = Array.from({ length: n }, () => 3 * rng.normal());
    const y = Array.from({ length: n }, () => (rng.bernoulli(0.5) ? 1 : 0));
    const zt = tf.tensor1d(z);
    const yt = tf.tensor1d(y);
    const closed = (await irmPenalty(tf, zt, yt).data())[0] as number;
    // Risk of the scaled logits, in float64 on the CPU: R(s) = mean BCE(s·z, y).
    const risk = (s: number): number => z.reduce((acc, zi, i) => acc + Math.max(s * zi, 0) - s * zi * (y[i] as number) + Math.log1p(Math.exp(-Math.abs(s * zi))), 0) / n;
    const h = 1e-5;
    const fd = ((risk(1 + h) - risk(1 - h)) / (2 * h)) ** 2;
    t.true(Math.abs(closed - fd) <= 1e-4 * Math.max(1, fd), `closed ${closed} vs finite difference ${fd}`);
    // And the autodiff gradient of the dummy-scale formulation.
    const g = tf.grad((s: import('@tensorflow/tfjs').Tensor) => bceWithLogits(tf, tf.mul(s, zt), yt))(tf.scalar(1));
    const auto = ((await g.data())[0] as number) ** 2;
    t.true(Math.abs(closed - auto) <= 1e-4 * Math.max(1, auto), `closed ${closed} vs autodiff ${auto}`);
    tf.dispose([zt, yt, g]);
  }
});

test('penalty schedule: weight 1 before anneal, penalty_weight after; the loss is divided by w only when w > 1', (t) => {
  t.deepEqual(penaltySchedule(0, 1000, 100), { weight: 1, scale: 1 });
  t.deepEqual(penaltySchedule(99, 1000, 100), { weight: 1, scale: 1 });
  t.deepEqual(penaltySchedule(100, 1000, 100), { weight: 1000, scale: 1 / 1000 });
  t.deepEqual(penaltySchedule(500, 0.5, 100), { weight: 0.5, scale: 1 });
  t.deepEqual(penaltySchedule(0, 0, 0), { weight: 0, scale: 1 });
});

test.serial('ERM leans on the spurious feature: high average, low worst-group accuracy; every metric finite; no tensor leaked', async (t) => {
  const { tf } = await loadBackend();
  const erm = await loadMethod('erm')!;
  const params = getMethod('erm')!.params.parse({ steps: 150, lr: 0.01, hidden: [16] });
  const before = tf.memory().numTensors;
  const out = await erm.run(
    { trialId: 't1', sweepId: 's', params, seed: 1, attempt: 1, dataset: { name: 'spurious', options: { n: 800, d: 2, env_p_maj: [0.95, 0.9], test_p_maj: 0.5 } } },
    runtime(),
  );
  t.is(tf.memory().numTensors, before, 'tf.memory().numTensors unchanged after a trial');
  const m = out.metrics;
  for (const split of ['train', 'val', 'test']) {
    for (const k of ['accuracy', 'worst_group_accuracy', 'demographic_parity_difference', 'demographic_parity_ratio', 'equal_opportunity_difference', 'equalized_odds_difference', 'ece']) {
      t.true(Number.isFinite(m[`${split}/${k}`]), `${split}/${k}`);
    }
  }
  t.true(m['train/accuracy']! > 0.85, `train accuracy ${m['train/accuracy']}`);
  t.true(m['test/worst_group_accuracy']! < m['test/accuracy']! - 0.1, `worst group ${m['test/worst_group_accuracy']} vs ${m['test/accuracy']}`);
  t.true(out.groupMetrics.some((g) => g.split === 'test' && g.group === 'y=1,a=-1'));
});

test.serial('IRM with a strong penalty relies less on the spurious feature than ERM when the test split reverses it', async (t) => {
  const irm = await loadMethod('irm')!;
  const dataset = { name: 'spurious', options: { n: 1600, d: 2, env_p_maj: [0.95, 0.7], sigma_c: 0.8, test_p_maj: 0.1 } };
  const base = { steps: 300, lr: 0.01, hidden: [16], l2: 0.0001, penalty_anneal_iters: 100 };
  const acc = async (w: number): Promise<number> => {
    const params = getMethod('irm')!.params.parse({ ...base, penalty_weight: w });
    const out = await irm.run({ trialId: `w${w}`, sweepId: 's', params, seed: 0, attempt: 1, dataset }, runtime());
    return out.metrics['test/accuracy']!;
  };
  const erm = await acc(0);
  const strong = await acc(1000);
  t.true(strong > erm + 0.03, `IRM ${strong} vs ERM-like ${erm}`);
});

test.serial('per-environment training accuracies: one per environment, their worst, and their size-weighted mean is the train accuracy', async (t) => {
  const irm = await loadMethod('irm')!;
  const dataset = { name: 'spurious', options: { n: 600, d: 2, env_p_maj: [0.95, 0.7], sigma_c: 0.8, test_p_maj: 0.1 } };
  const params = getMethod('irm')!.params.parse({ steps: 60, lr: 0.01, hidden: [8], penalty_weight: 100, penalty_anneal_iters: 20 });
  const out = await irm.run({ trialId: 'envs', sweepId: 's', params, seed: 3, attempt: 1, dataset }, runtime());
  const m = out.metrics;
  const data = loadDataset('spurious', dataset.options, 3);
  t.is(data.environments.length, 2);
  const [e0, e1] = [m['train/env0/accuracy']!, m['train/env1/accuracy']!];
  t.true(e0 >= 0 && e0 <= 1 && e1 >= 0 && e1 <= 1);
  t.is(m['train/worst_env_accuracy'], Math.min(e0, e1));
  const [n0, n1] = data.environments.map((e) => e.n) as [number, number];
  t.true(Math.abs((e0 * n0 + e1 * n1) / (n0 + n1) - m['train/accuracy']!) < 1e-9);
  // The environments differ in how often the spurious attribute agrees with the label, so the accuracies differ too.
  t.not(e0, e1);
});

test('per-environment accuracies are absent with a single environment and exact on hand-made predictions', (t) => {
  const split = (y: number[]) => ({ n: y.length, x: new Float32Array(0), y: Float32Array.from(y), attribute: [], group: [] });
  t.deepEqual(environmentAccuracies([split([1, 0])], Float32Array.from([0.9, 0.1])), {});
  const acc = environmentAccuracies([split([1, 0]), split([1, 1, 0])], Float32Array.from([0.9, 0.6, 0.2, 0.7, 0.4]));
  t.deepEqual(acc, { 'train/env0/accuracy': 0.5, 'train/env1/accuracy': 2 / 3, 'train/worst_env_accuracy': 0.5 });
});

test.serial('cancellation reaches the training loop', async (t) => {
  const irm = await loadMethod('irm')!;
  const ac = new AbortController();
  const params = getMethod('irm')!.params.parse({ steps: 100_000, hidden: [16] });
  setTimeout(() => ac.abort('cancelled'), 300);
  const started = Date.now();
  await t.throwsAsync(irm.run({ trialId: 'c', sweepId: 's', params, seed: 0, attempt: 1, dataset: { name: 'spurious', options: { n: 400 } } }, runtime(ac.signal)), { instanceOf: TrialCancelledError });
  t.true(Date.now() - started < 5_000);
});

test.serial('a diverging loss fails the trial with the reason, and leaks nothing', async (t) => {
  const { tf } = await loadBackend();
  const data = loadDataset('spurious', { n: 200, d: 2 }, 0);
  const before = tf.memory().numTensors;
  const err = await t.throwsAsync(
    trainMlp(tf, data.dim, data.environments, { steps: 200, lr: 1e30, l2: 1, hidden: [8], seed: 0, objective: { kind: 'erm' }, signal: new AbortController().signal, heartbeat: () => undefined }),
    { instanceOf: TrialFailedError },
  );
  t.regex(err!.message, /loss diverged at step \d+/);
  t.is(tf.memory().numTensors, before);
});

test.serial('training is deterministic given the seed', async (t) => {
  const { tf } = await loadBackend();
  const data = loadDataset('spurious', { n: 200, d: 2 }, 3);
  const run = async (): Promise<number> => {
    const r = await trainMlp(tf, data.dim, data.environments, { steps: 30, lr: 0.01, l2: 0, hidden: [8], seed: 5, objective: { kind: 'irm', penaltyWeight: 10, annealIters: 10 }, signal: new AbortController().signal, heartbeat: () => undefined });
    disposeMlp(r.model);
    return r.loss;
  };
  t.is(await run(), await run());
});
