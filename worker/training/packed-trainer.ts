import type * as tfType from '@tensorflow/tfjs';
import { TrialFailedError, throwIfCancelled } from '../errors.js';
import type { Split } from '../datasets/index.js';
import { objectiveTerms, type TrainObjective } from './objectives.js';
import { poolEnvironments } from './pooled-rows.js';
import { createMlp, disposeMlp, type Mlp } from './mlp.js';
import { batchedDense } from './batched-dense.js';
import type { TrainResult } from './trainer.js';

type TF = typeof tfType;

/**
 * Packed training (horizontal fusion, as in HFTA, Wang et al., MLSys 2021): K trials of one
 * architecture on the same training data trained as one batched model. Each trial keeps its own
 * weights (initialised from its own seed, exactly as createMlp does), its own Adam state and
 * learning rate, its own L2 and its own objective and penalty schedule; the packed loss is the sum of
 * the per-trial losses, so no gradient mixes between trials: trial k's gradient is the one it would
 * have alone. The first layer of all K trials is one [n, in]·[in, K·h] product; deeper layers are
 * batched [K, n, h]·[K, h, h'] products.
 */

/** What differs between the trials of one pack. */
export interface PackedTrial {
  lr: number;
  l2: number;
  seed: number;
  objective: TrainObjective;
}

/** What the trials of one pack share. */
export interface PackOptions {
  steps: number;
  hidden: readonly number[];
  signal: AbortSignal;
  heartbeat(): void;
}

/** One trial's outcome: its trained model (the caller's to dispose), or why it failed. */
export type PackedOutcome = { ok: true; result: TrainResult } | { ok: false; error: TrialFailedError };

/** Steps between divergence checks (a read-back), as the single-trial trainer. */
const CHECK_EVERY = 25;
/** Steps between yields to the event loop. */
const YIELD_EVERY = 5;
const BETA1 = 0.9;
const BETA2 = 0.999;

/** Per-trial Adam state of one packed variable (leading axis K), the update tfjs's AdamOptimizer makes. */
interface Moments {
  m: tfType.Variable;
  v: tfType.Variable;
}

/**
 * Trains `trials` as one pack on `environments` (full batch, as trainMlp). A trial whose loss
 * diverges fails alone, with trainMlp's message, and the others go on. Cancellation stops them all.
 */
export async function trainMlpPacked(tf: TF, dim: number, environments: readonly Split[], o: PackOptions, trials: readonly PackedTrial[]): Promise<PackedOutcome[]> {
  const k = trials.length;
  if (k === 0) return [];
  const { n, x: xAll, y: yAll, ranges } = poolEnvironments(environments, dim);
  const weightsOf = trials.map((t) => (t.objective.kind === 'erm' ? t.objective.weights : undefined));
  for (const w of weightsOf) if (w && w.length !== n) throw new TrialFailedError(`sample weights: expected ${n} (one per training row), got ${w.length}`);
  const x = tf.tensor2d(xAll, [n, dim]);
  const y = tf.tensor2d(yAll, [n, 1]);
  const rowWeights = weightsOf.map((w) => (w ? tf.tensor2d(w, [n, 1]) : undefined));
  const dims = [dim, ...o.hidden, 1];
  // Each trial's initial weights exactly as createMlp makes them from its seed, stacked on axis 0.
  const singles = trials.map((t) => createMlp(tf, dim, o.hidden, t.seed));
  const W: tfType.Variable[] = [];
  const B: tfType.Variable[] = [];
  for (let l = 0; l < dims.length - 1; l++) {
    W.push(tf.tidy(() => tf.variable(tf.stack(singles.map((s) => s.weights[l] as tfType.Tensor)), true)));
    B.push(tf.tidy(() => tf.variable(tf.stack(singles.map((s) => tf.reshape(s.biases[l] as tfType.Tensor, [1, dims[l + 1] as number]))), true)));
  }
  for (const s of singles) disposeMlp(s);
  const vars = [...W, ...B];
  const moments: Moments[] = vars.map((v) => tf.tidy(() => ({ m: tf.variable(tf.zerosLike(v), false), v: tf.variable(tf.zerosLike(v), false) })));
  const lr = tf.tensor(trials.map((t) => t.lr));
  const l2 = tf.tensor(trials.map((t) => t.l2));
  const epsilon = tf.backend().epsilon();
  let accBeta1 = BETA1;
  let accBeta2 = BETA2;
  const failed = new Map<number, TrialFailedError>();
  const losses = new Array<number>(k).fill(NaN);
  const penalties = new Array<number>(k).fill(NaN);

  // x·W for the data x: the gradient wrt W is xᵀ·dy with xᵀ made once (x is constant), a plain
  // product (tfjs's own matMul gradient would take wasm's slow transposed path, as dense.ts explains).
  const xT = tf.transpose(x);
  const firstLayer = (w: tfType.Tensor2D): tfType.Tensor2D =>
    tf.customGrad((...args: unknown[]) => {
      const [wi] = args as [tfType.Tensor2D];
      return { value: tf.matMul(x, wi), gradFunc: (dy: tfType.Tensor | tfType.Tensor[]) => [tf.matMul(xT, dy as tfType.Tensor2D)] };
    })(w) as tfType.Tensor2D;

  /** Per-trial [K] objective terms at `step`: the loss to minimise (scaled, with L2), the unscaled loss and the penalty. */
  const objectives = (step: number): { total: tfType.Scalar; loss: tfType.Tensor1D; penalty: tfType.Tensor1D } => {
    // First layer of every trial in one product: [n, dim]·[dim, K·h1] → [K, n, h1].
    const h1 = dims[1] as number;
    const w0 = tf.reshape(tf.transpose(W[0] as tfType.Tensor3D, [1, 0, 2]), [dim, k * h1]) as tfType.Tensor2D;
    let h: tfType.Tensor3D = tf.transpose(tf.reshape(firstLayer(w0), [n, k, h1]), [1, 0, 2]);
    h = tf.add(h, B[0] as tfType.Tensor3D);
    if (dims.length > 2) h = tf.relu(h);
    let phi = dims.length > 2 ? h : (tf.tile(tf.expandDims(x, 0), [k, 1, 1]) as tfType.Tensor3D);
    for (let l = 1; l < dims.length - 1; l++) {
      const hiddenLayer = l < dims.length - 2;
      h = batchedDense(tf, h, W[l] as tfType.Tensor3D, B[l] as tfType.Tensor3D, hiddenLayer);
      if (hiddenLayer) phi = h;
    }
    const z = h; // [K, n, 1]
    const sq = tf.addN(W.map((w) => tf.sum(tf.square(w), [1, 2]))).add(tf.addN(B.map((b) => tf.sum(tf.square(b), [1, 2])))) as tfType.Tensor1D;
    const lossK: tfType.Scalar[] = [];
    const penK: tfType.Scalar[] = [];
    const scaleK: number[] = [];
    for (let i = 0; i < k; i++) {
      const t = trials[i] as PackedTrial;
      const rw = rowWeights[i];
      const terms = objectiveTerms(tf, t.objective, step, {
        z: tf.reshape(tf.slice(z, [i, 0, 0], [1, n, 1]), [n, 1]),
        phi: tf.reshape(tf.slice(phi, [i, 0, 0], [1, n, phi.shape[2]]), [n, phi.shape[2]]),
        y,
        ranges,
        ...(rw ? { weights: rw } : {}),
      });
      lossK.push(terms.loss);
      penK.push(terms.penalty);
      scaleK.push(terms.scale);
    }
    const loss = tf.add(tf.stack(lossK), tf.mul(l2, sq)) as tfType.Tensor1D;
    const total = tf.sum(tf.mul(loss, tf.tensor(scaleK))) as tfType.Scalar;
    return { total, loss, penalty: tf.stack(penK) as tfType.Tensor1D };
  };

  try {
    for (let step = 0; step < o.steps; step++) {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => objectives(step).total, vars);
        // tfjs's AdamOptimizer, with a learning rate per trial (axis 0).
        for (const [j, v] of vars.entries()) {
          const g = grads[v.name] as tfType.Tensor;
          const mo = moments[j] as Moments;
          const m = tf.add(tf.mul(mo.m, BETA1), tf.mul(g, 1 - BETA1));
          const s = tf.add(tf.mul(mo.v, BETA2), tf.mul(tf.square(g), 1 - BETA2));
          mo.m.assign(m);
          mo.v.assign(s);
          const mHat = tf.div(m, 1 - accBeta1);
          const vHat = tf.div(s, 1 - accBeta2);
          const rate = tf.reshape(lr, [k, ...new Array<number>(v.rank - 1).fill(1)]);
          v.assign(tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), tf.neg(rate)), v));
        }
      });
      accBeta1 *= BETA1;
      accBeta2 *= BETA2;
      if (step % CHECK_EVERY === CHECK_EVERY - 1 || step === o.steps - 1) {
        const [l, pe] = tf.tidy(() => {
          const r = objectives(step);
          return [r.loss, r.penalty];
        });
        const lv = await l.data<'float32'>();
        const pv = await pe.data<'float32'>();
        l.dispose();
        pe.dispose();
        for (let i = 0; i < k; i++) {
          losses[i] = lv[i] ?? NaN;
          penalties[i] = pv[i] ?? NaN;
          if (!failed.has(i) && !Number.isFinite(losses[i])) failed.set(i, new TrialFailedError(`loss diverged at step ${step + 1} (loss=${losses[i]}); lower lr or penalty_weight`));
        }
        if (failed.size === k) break;
        o.heartbeat();
      }
      if (step % YIELD_EVERY === 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        throwIfCancelled(o.signal);
      }
    }
    return trials.map((_, i): PackedOutcome => {
      const error = failed.get(i);
      if (error) return { ok: false, error };
      // Each bias sliced out of a flat view, not sliced then reshaped: the wasm backend keeps a
      // reshaped tensor's data under its first shape, and its fused matMul reads the bias's rank
      // from there (it refused [1, 1, h] for [h]).
      const model: Mlp = {
        weights: W.map((w) => tf.tidy(() => tf.variable(tf.gather(w, i), true))),
        biases: B.map((b) => {
          const h = b.shape[2] as number;
          return tf.tidy(() => tf.variable(tf.slice(tf.reshape(b, [k * h]), [i * h], [h]), true));
        }),
      };
      return { ok: true, result: { model, loss: losses[i] ?? NaN, penalty: penalties[i] ?? NaN } };
    });
  } finally {
    tf.dispose([x, xT, y, lr, l2, ...rowWeights.filter((w): w is tfType.Tensor2D => w !== undefined), ...vars, ...moments.flatMap((mo) => [mo.m, mo.v])]);
  }
}
