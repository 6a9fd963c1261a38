import test from 'ava';
import { loadBackend } from '../worker/backend.js';
import { loadDataset } from '../worker/datasets/index.js';
import { trainMlp } from '../worker/training/trainer.js';
import { trainMlpPacked, type PackedTrial } from '../worker/training/packed-trainer.js';
import { disposeMlp, type Mlp } from '../worker/training/mlp.js';
import { Rng } from '../common/random.js';

// The equivalence contract of packing: on a CPU backend each trial of a pack ends with the weights,
// loss and penalty it gets when trained alone, to within 1e-4.
const TOL = 1e-4;
const STEPS = 40;
const HIDDEN = [8, 6];

async function flat(m: Mlp): Promise<number[]> {
  const out: number[] = [];
  for (const v of [...m.weights, ...m.biases]) out.push(...(await v.data()));
  return out;
}

const maxDiff = (a: readonly number[], b: readonly number[]): number => a.reduce((d, x, i) => Math.max(d, Math.abs(x - (b[i] ?? NaN))), a.length === b.length ? 0 : Infinity);

test.serial('every objective of the MLP methods trains in a pack exactly as alone: erm, weighted erm (balancing), irm, vrex, v-/mm-irm, ib-irm', async (t) => {
  const { tf } = await loadBackend({ prefer: ['cpu'] });
  const data = loadDataset('spurious', { n: 300, d: 2 }, 3);
  const n = data.environments.reduce((s, e) => s + e.n, 0);
  const rng = new Rng(5);
  const weights = Float32Array.from({ length: n }, () => 0.5 + rng.next());
  const trials: PackedTrial[] = [
    { lr: 0.01, l2: 0, seed: 0, objective: { kind: 'erm' } },
    { lr: 0.02, l2: 0.001, seed: 1, objective: { kind: 'erm', weights } },
    { lr: 0.005, l2: 0.0005, seed: 2, objective: { kind: 'irm', penaltyWeight: 50, annealIters: 10 } },
    { lr: 0.01, l2: 0.001, seed: 0, objective: { kind: 'vrex', penaltyWeight: 10, annealIters: 0 } },
    { lr: 0.01, l2: 0, seed: 4, objective: { kind: 'irm-extrapolated', variant: 'v', beta: 0.5, alpha: 0, penaltyWeight: 20, annealIters: 5 } },
    { lr: 0.01, l2: 0, seed: 5, objective: { kind: 'irm-extrapolated', variant: 'mm', beta: 0, alpha: -0.5, penaltyWeight: 20, annealIters: 5 } },
    { lr: 0.008, l2: 0.001, seed: 6, objective: { kind: 'ib-irm', penaltyWeight: 10, annealIters: 5, ibLambda: 0.1, ibAnnealIters: 3 } },
  ];
  const shared = { steps: STEPS, hidden: HIDDEN, signal: new AbortController().signal, heartbeat: () => undefined };
  const before = tf.memory().numTensors;
  const packed = await trainMlpPacked(tf, data.dim, data.environments, shared, trials);
  t.is(packed.length, trials.length);
  for (const [i, trial] of trials.entries()) {
    const p = packed[i];
    if (!p?.ok) return t.fail(`trial ${i} failed in the pack: ${p?.error.message}`);
    const alone = await trainMlp(tf, data.dim, data.environments, { ...shared, ...trial });
    const [wp, wa] = [await flat(p.result.model), await flat(alone.model)];
    t.true(maxDiff(wp, wa) < TOL, `${trial.objective.kind} (trial ${i}): weights differ by ${maxDiff(wp, wa)}`);
    t.true(Math.abs(p.result.loss - alone.loss) < TOL, `${trial.objective.kind}: loss ${p.result.loss} vs ${alone.loss}`);
    t.true(Math.abs(p.result.penalty - alone.penalty) < TOL, `${trial.objective.kind}: penalty ${p.result.penalty} vs ${alone.penalty}`);
    disposeMlp(alone.model);
    disposeMlp(p.result.model);
  }
  t.is(tf.memory().numTensors, before, 'no tensor leaked');
});

test.serial('a diverging trial fails alone, with the single trainer\'s message; its pack-mates are unaffected', async (t) => {
  const { tf } = await loadBackend({ prefer: ['cpu'] });
  const data = loadDataset('spurious', { n: 200, d: 2 }, 1);
  const good: PackedTrial = { lr: 0.01, l2: 0.001, seed: 2, objective: { kind: 'irm', penaltyWeight: 10, annealIters: 5 } };
  const bad: PackedTrial = { lr: 1e30, l2: 0, seed: 3, objective: { kind: 'erm' } };
  const shared = { steps: 30, hidden: [4], signal: new AbortController().signal, heartbeat: () => undefined };
  const [p0, p1] = await trainMlpPacked(tf, data.dim, data.environments, shared, [good, bad]);
  t.false(p1?.ok ?? true);
  if (p1 && !p1.ok) t.regex(p1.error.message, /^loss diverged at step \d+ \(loss=NaN\); lower lr or penalty_weight$/);
  const alone = await trainMlp(tf, data.dim, data.environments, { ...shared, ...good });
  if (!p0?.ok) return t.fail('the good trial failed');
  t.true(maxDiff(await flat(p0.result.model), await flat(alone.model)) < TOL);
  disposeMlp(alone.model);
  disposeMlp(p0.result.model);
  await t.throwsAsync(trainMlp(tf, data.dim, data.environments, { ...shared, ...bad }), { message: /^loss diverged at step \d+/ });
});

test.serial('cancelling a pack stops it; no tensor is left behind', async (t) => {
  const { tf } = await loadBackend({ prefer: ['cpu'] });
  const data = loadDataset('spurious', { n: 100, d: 2 }, 1);
  const ctl = new AbortController();
  const before = tf.memory().numTensors;
  let beats = 0;
  const run = trainMlpPacked(tf, data.dim, data.environments, { steps: 10_000, hidden: [4], signal: ctl.signal, heartbeat: () => { if (++beats === 2) ctl.abort('cancelled'); } }, [
    { lr: 0.01, l2: 0, seed: 0, objective: { kind: 'erm' } },
    { lr: 0.02, l2: 0, seed: 1, objective: { kind: 'erm' } },
  ]);
  await t.throwsAsync(run);
  t.is(tf.memory().numTensors, before);
});

