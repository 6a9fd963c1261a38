import type * as tfType from '@tensorflow/tfjs';
import { TrialFailedError, throwIfCancelled } from '../errors.js';
import type { Split } from '../datasets/index.js';
import { bceWithLogits } from './losses.js';
import { createMlp, disposeMlp, forward, mlpVariables } from './mlp.js';
import { mlpFromArrays, type MlpArrays } from './weights.js';
import { at, mustGet } from '../checked-access.js';

type TF = typeof tfType;

export interface ReprogramOptions {
  /** λ: weight of the fairness term. */
  lambda: number;
  steps: number;
  lr: number;
  /** Hidden widths of the discriminator d(f(x+δ), y). */
  discHidden: readonly number[];
  seed: number;
  signal: AbortSignal;
  heartbeat(): void;
}

export interface ReprogramResult {
  /** The trigger δ, one value per input feature. */
  trigger: Float32Array;
  /** The discriminator's final cross-entropy at predicting the group (higher: less group information left). */
  discriminatorLoss: number;
}

/**
 * Fairness reprogramming (Zhang et al. 2022, seeds' poster): the model f stays frozen; an
 * input-agnostic additive trigger δ is learned by alternating Adam steps on
 *   min_δ CE(y, f(x+δ)) + λ·L_fair,  L_fair = max_d −CE(group, d(f(x+δ), y)),
 * i.e. the discriminator d takes a step lowering its cross-entropy at predicting the group from the
 * model's output logit and the label, then δ takes a step on CE(y, f(x+δ)) − λ·CE_d. Groups are
 * the split's `attribute` values (one-vs-rest softmax over them).
 */
export async function trainTrigger(tf: TF, base: MlpArrays, data: Split, o: ReprogramOptions): Promise<ReprogramResult> {
  const dim = base.dims[0] as number;
  const groups = [...new Set(data.attribute)].sort();
  if (groups.length < 2) throw new TrialFailedError(`reprogram: the training data has a single group (${groups[0] ?? 'none'}); nothing to make fair`);
  const gIndex = new Map(groups.map((g, i) => [g, i]));
  const model = mlpFromArrays(tf, base, false);
  const disc = createMlp(tf, 2, o.discHidden, o.seed + 101);
  // The discriminator's output layer has one logit; widen it to one per group.
  const lastW = disc.weights.pop();
  const lastB = disc.biases.pop();
  if (!lastW || !lastB) throw new Error('reprogram: the discriminator has no output layer');
  const inW = at(lastW.shape, 0);
  lastW.dispose();
  lastB.dispose();
  const limit = Math.sqrt(6 / (inW + groups.length));
  const wInit = tf.randomUniform([inW, groups.length], -limit, limit, 'float32', o.seed + 7);
  const bInit = tf.zeros([groups.length]);
  disc.weights.push(tf.variable(wInit, true));
  disc.biases.push(tf.variable(bInit, true));
  tf.dispose([wInit, bInit]);
  const x = tf.tensor2d(data.x, [data.n, dim]);
  const y = tf.tensor2d(data.y, [data.n, 1]);
  const g = tf.tidy(() => tf.oneHot(tf.tensor1d(data.attribute.map((a) => mustGet(gIndex, a, 'group index')), 'int32'), groups.length));
  const zeros = tf.zeros([1, dim]);
  const delta = tf.variable(zeros, true);
  zeros.dispose();
  const optD = tf.train.adam(o.lr);
  const optT = tf.train.adam(o.lr);
  const discLoss = (z: tfType.Tensor2D): tfType.Scalar => {
    const logits = forwardMulti(tf, disc, tf.concat([z, y], 1) as tfType.Tensor2D);
    return tf.losses.softmaxCrossEntropy(g, logits) as tfType.Scalar;
  };
  let last = NaN;
  try {
    for (let step = 0; step < o.steps; step++) {
      tf.tidy(() => {
        // Discriminator step: predict the group from (f(x+δ), y).
        const z = forward(tf, model, tf.add(x, delta) as tfType.Tensor2D);
        optD.minimize(() => discLoss(z), false, mlpVariables(disc));
      });
      tf.tidy(() => {
        // Trigger step: keep accuracy, defeat the discriminator.
        optT.minimize(() => {
          const z = forward(tf, model, tf.add(x, delta) as tfType.Tensor2D, true);
          return tf.sub(bceWithLogits(tf, z, y), tf.mul(o.lambda, discLoss(z))) as tfType.Scalar;
        }, false, [delta]);
      });
      if (step % 25 === 24 || step === o.steps - 1) {
        const l = tf.tidy(() => discLoss(forward(tf, model, tf.add(x, delta) as tfType.Tensor2D)));
        last = at(await l.data<'float32'>(), 0, 'discriminator loss');
        l.dispose();
        if (!Number.isFinite(last)) throw new TrialFailedError(`reprogramming diverged at step ${step + 1}; lower lr or lambda`);
        o.heartbeat();
      }
      if (step % 5 === 0) {
        await new Promise<void>((r) => setImmediate(r));
        throwIfCancelled(o.signal);
      }
    }
    return { trigger: (await delta.data<'float32'>()).slice(), discriminatorLoss: last };
  } finally {
    tf.dispose([x, y, g, delta]);
    optD.dispose();
    optT.dispose();
    disposeMlp(model);
    disposeMlp(disc);
  }
}

/** An MLP forward pass whose output layer has several logits. */
function forwardMulti(tf: TF, m: { weights: tfType.Variable[]; biases: tfType.Variable[] }, x: tfType.Tensor2D): tfType.Tensor2D {
  let h = x;
  const last = m.weights.length - 1;
  for (let i = 0; i <= last; i++) {
    h = tf.fused.matMul({ a: h, b: m.weights[i] as tfType.Tensor2D, bias: m.biases[i], activation: i < last ? 'relu' : 'linear' }) as tfType.Tensor2D;
  }
  return h;
}

/** Adds the trigger δ to every row of a split. */
export function applyTrigger(s: Split, dim: number, trigger: Float32Array): Split {
  const x = Float32Array.from(s.x);
  for (let i = 0; i < s.n; i++) for (let j = 0; j < dim; j++) x[i * dim + j] = (x[i * dim + j] as number) + (trigger[j] as number);
  return { ...s, x };
}
