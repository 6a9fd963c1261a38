import test from 'ava';
import { loadBackend } from '../worker/backend.js';
import { objectiveTerms, type TrainObjective } from '../worker/training/objectives.js';
import { balancedSubsample, balancingWeights } from '../worker/training/balancing.js';
import { loadDataset } from '../worker/datasets/index.js';
import { Rng } from '../common/random.js';
import { getMethod } from '../catalog/index.js';
import { loadMethod } from '../worker/index.js';
import type { TrialRuntime } from '../worker/methods/types.js';

const runtime = (): TrialRuntime => ({ signal: new AbortController().signal, heartbeat: () => undefined, backend: () => loadBackend() });

/** Per-environment risks and IRMv1 penalties computed independently, in float64. */
function reference(z: number[], y: number[], ranges: [number, number][]): { risks: number[]; pens: number[] } {
  const bce = (zi: number, yi: number): number => Math.max(zi, 0) - zi * yi + Math.log1p(Math.exp(-Math.abs(zi)));
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  const risks: number[] = [];
  const pens: number[] = [];
  for (const [s, n] of ranges) {
    let r = 0;
    let g = 0;
    for (let i = s; i < s + n; i++) {
      r += bce(z[i]!, y[i]!);
      g += (sig(z[i]!) - y[i]!) * z[i]!;
    }
    risks.push(r / n);
    pens.push((g / n) ** 2);
  }
  return { risks, pens };
}

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const pvar = (v: number[]): number => mean(v.map((x) => (x - mean(v)) ** 2));

test('VREx, v-IRMv1 and mm-IRMv1 losses equal their METHODS.md formulas computed independently', async (t) => {
  const { tf } = await loadBackend();
  const rng = new Rng(11);
  const ranges: [number, number][] = [[0, 30], [30, 50], [80, 20]];
  const n = 100;
  const z = Array.from({ length: n }, () => 2 * rng.normal());
  const y = Array.from({ length: n }, () => (rng.bernoulli(0.5) ? 1 : 0));
  const { risks, pens } = reference(z, y, ranges);
  const step = 50; // after anneal: w = penalty_weight
  const w = 7;
  const cases: [TrainObjective, number][] = [
    [{ kind: 'irm', penaltyWeight: w, annealIters: 10 }, mean(risks) + w * mean(pens)],
    [{ kind: 'vrex', penaltyWeight: w, annealIters: 10 }, mean(risks) + w * pvar(risks)],
    [{ kind: 'irm-extrapolated', variant: 'v', beta: 0.3, alpha: 0, penaltyWeight: w, annealIters: 10 }, mean(risks) + w * (0.7 * mean(pens) + 0.3 * pvar(pens))],
    [{ kind: 'irm-extrapolated', variant: 'mm', beta: 0, alpha: -0.5, penaltyWeight: w, annealIters: 10 }, mean(risks) + w * ((1 + 0.5 * 3) * Math.max(...pens) - 0.5 * pens.reduce((a, b) => a + b, 0))],
  ];
  const before = tf.memory().numTensors;
  for (const [o, expected] of cases) {
    const got = tf.tidy(() => {
      const zt = tf.tensor2d(z, [n, 1]);
      const yt = tf.tensor2d(y, [n, 1]);
      const terms = objectiveTerms(tf, o, step, { z: zt, phi: zt, y: yt, ranges });
      t.is(terms.scale, 1 / w, 'the whole loss is divided by w > 1');
      return terms.loss;
    });
    const v = (await got.data())[0]!;
    got.dispose();
    t.true(Math.abs(v - expected) < 1e-4 * Math.max(1, Math.abs(expected)), `${o.kind}${'variant' in o ? `/${o.variant}` : ''}: ${v} vs ${expected}`);
  }
  t.is(tf.memory().numTensors, before);
});

test('before the anneal step the penalty weight is 1 and the loss is not rescaled', async (t) => {
  const { tf } = await loadBackend();
  const z = [0.5, -1, 2, 0.1];
  const y = [1, 0, 1, 0];
  const { risks } = reference(z, y, [[0, 2], [2, 2]]);
  const loss = tf.tidy(() => {
    const terms = objectiveTerms(tf, { kind: 'vrex', penaltyWeight: 1000, annealIters: 10 }, 3, { z: tf.tensor2d(z, [4, 1]), phi: tf.tensor2d(z, [4, 1]), y: tf.tensor2d(y, [4, 1]), ranges: [[0, 2], [2, 2]] });
    t.is(terms.scale, 1);
    return terms.loss;
  });
  t.true(Math.abs((await loss.data())[0]! - (mean(risks) + pvar(risks))) < 1e-5);
  loss.dispose();
});

test('IB-IRM adds ib_lambda · mean over environments of the mean per-feature variance of Φ, from its anneal step on', async (t) => {
  const { tf } = await loadBackend();
  const phi = [[1, 2], [3, 6], [0, 1], [4, 1]];
  const z = [0.3, -0.2, 0.8, -1];
  const y = [1, 0, 1, 0];
  const ranges: [number, number][] = [[0, 2], [2, 2]];
  const { risks, pens } = reference(z, y, ranges);
  const fvar = (rows: number[][]): number => mean([0, 1].map((j) => pvar(rows.map((r) => r[j]!))));
  const ib = mean([fvar(phi.slice(0, 2)), fvar(phi.slice(2))]);
  const at = async (step: number): Promise<number> => {
    const l = tf.tidy(() => objectiveTerms(tf, { kind: 'ib-irm', penaltyWeight: 0.5, annealIters: 0, ibLambda: 2, ibAnnealIters: 5 }, step, { z: tf.tensor2d(z, [4, 1]), phi: tf.tensor2d(phi), y: tf.tensor2d(y, [4, 1]), ranges }).loss);
    const v = (await l.data())[0]!;
    l.dispose();
    return v;
  };
  t.true(Math.abs((await at(10)) - (mean(risks) + 0.5 * mean(pens) + 2 * ib)) < 1e-4);
  t.true(Math.abs((await at(4)) - (mean(risks) + 0.5 * mean(pens))) < 1e-4, 'no IB term before ib_penalty_anneal_iters');
});

test('reweighting gives each group (or class) equal total weight, weights averaging 1', (t) => {
  const data = loadDataset('spurious', { n: 1000, d: 1, env_p_maj: [0.9, 0.8] }, 2);
  for (const by of ['group', 'class'] as const) {
    const w = balancingWeights(data.train, by);
    const totals = new Map<string, number>();
    for (let i = 0; i < data.train.n; i++) {
      const k = by === 'group' ? data.train.group[i]! : String(data.train.y[i]);
      totals.set(k, (totals.get(k) ?? 0) + w[i]!);
    }
    const values = [...totals.values()];
    t.is(values.length, by === 'group' ? 4 : 2);
    for (const v of values) t.true(Math.abs(v - data.train.n / values.length) < 1e-2, `${by}: total ${v}`);
    t.true(Math.abs(mean([...w]) - 1) < 1e-5);
  }
});

test('subsampling draws every group down to the smallest group, deterministically', (t) => {
  const data = loadDataset('spurious', { n: 1000, d: 1, env_p_maj: [0.9, 0.8] }, 2);
  const counts = (s: { group: string[] }): Map<string, number> => s.group.reduce((m, g) => m.set(g, (m.get(g) ?? 0) + 1), new Map<string, number>());
  const smallest = Math.min(...counts(data.train).values());
  const sub = balancedSubsample(data.train, data.dim, 'group', 7);
  t.deepEqual([...counts(sub).values()], Array(4).fill(smallest));
  t.is(sub.n, 4 * smallest);
  t.deepEqual(balancedSubsample(data.train, data.dim, 'group', 7).x, sub.x);
  const byClass = balancedSubsample(data.train, data.dim, 'class', 7);
  const ones = byClass.y.reduce((a, b) => a + b, 0);
  t.is(ones, byClass.n / 2);
});

test.serial('every method of the IRM family and balancing runs end to end, reports finite metrics and leaks no tensor', async (t) => {
  const { tf } = await loadBackend();
  const dataset = { name: 'spurious', options: { n: 600, d: 2, env_p_maj: [0.95, 0.7], test_p_maj: 0.1 } };
  const extra: Record<string, Record<string, unknown>> = {
    vrex: { penalty_weight: 10, penalty_anneal_iters: 20 },
    'irm-extrapolated': { penalty_weight: 10, penalty_anneal_iters: 20, variant: 'mm', alpha: -1 },
    'ib-irm': { penalty_weight: 10, penalty_anneal_iters: 20, ib_lambda: 0.5, ib_penalty_anneal_iters: 10 },
    reweight: { balance: 'group' },
    subsample: { balance: 'class' },
  };
  for (const [name, p] of Object.entries(extra)) {
    const d = getMethod(name)!;
    const impl = await loadMethod(d.name)!;
    const before = tf.memory().numTensors;
    const out = await impl.run({ trialId: name, sweepId: 's', params: d.params.parse({ steps: 40, lr: 0.01, hidden: [8], ...p }), seed: 0, attempt: 1, dataset }, runtime());
    t.is(tf.memory().numTensors, before, `${name}: tf.memory().numTensors unchanged after a trial`);
    for (const k of ['train/accuracy', 'test/accuracy', 'test/worst_group_accuracy', 'test/equalized_odds_difference', 'test/ece']) t.true(Number.isFinite(out.metrics[k]), `${name} ${k}`);
    t.true(out.groupMetrics.length > 0);
  }
});

test.serial('balancing narrows the worst-group gap of ERM on spurious data', async (t) => {
  const dataset = { name: 'spurious', options: { n: 2000, d: 2, env_p_maj: [0.95, 0.9], sigma_c: 0.8, test_p_maj: 0.5 } };
  const run = async (name: string, extra: Record<string, unknown> = {}): Promise<number> => {
    const d = getMethod(name)!;
    const out = await (await loadMethod(d.name)!).run({ trialId: name, sweepId: 's', params: d.params.parse({ steps: 300, lr: 0.01, hidden: [16], ...extra }), seed: 0, attempt: 1, dataset }, runtime());
    return out.metrics['test/worst_group_accuracy']!;
  };
  const erm = await run('erm');
  const reweight = await run('reweight', { balance: 'group' });
  const subsample = await run('subsample', { balance: 'group' });
  t.true(reweight > erm + 0.05, `reweight ${reweight} vs ERM ${erm}`);
  t.true(subsample > erm + 0.05, `subsample ${subsample} vs ERM ${erm}`);
});
