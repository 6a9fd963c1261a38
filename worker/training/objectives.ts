import type * as tfType from '@tensorflow/tfjs';
import { bceWithLogits, irmPenalty, penaltySchedule } from './losses.js';

type TF = typeof tfType;

/**
 * What a training run minimises (METHODS.md), over the training environments:
 * - `erm`: pooled risk; with `weights` (one per training row, mean 1) the weighted mean risk;
 * - `irm`: IRMv1, mean_e R_e + w·mean_e P_e with P_e the squared dummy-scale gradient;
 * - `vrex`: mean_e R_e + w·Var_e R_e (population variance of the risks);
 * - `irm-extrapolated`: IRMv1 with the penalty v-IRMv1 = (1−β)·mean_e P_e + β·Var_e P_e or
 *   mm-IRMv1 = (1 − α·m)·max_e P_e + α·Σ_e P_e (α ≤ 0 extrapolates);
 * - `ib-irm`: IRMv1 + ib·mean_e(mean over feature dimensions of Var(Φ(X_e))).
 * The penalty weight w follows the IRM anneal convention (1.0 before `annealIters`, then
 * `penaltyWeight`; the whole loss divided by w when w > 1); the IB weight is `ibLambda` from
 * `ibAnnealIters` on, 0 before. L2 is added by the trainer before the division.
 */
export type TrainObjective =
  | { kind: 'erm'; weights?: Float32Array }
  | { kind: 'irm' | 'vrex'; penaltyWeight: number; annealIters: number }
  | { kind: 'irm-extrapolated'; variant: 'v' | 'mm'; beta: number; alpha: number; penaltyWeight: number; annealIters: number }
  | { kind: 'ib-irm'; penaltyWeight: number; annealIters: number; ibLambda: number; ibAnnealIters: number };

export interface ObjectiveInputs {
  /** Logits of every training row, [n, 1]. */
  z: tfType.Tensor2D;
  /** Last hidden layer Φ of every row, [n, width] (the inputs when the model has no hidden layer). */
  phi: tfType.Tensor2D;
  y: tfType.Tensor2D;
  /** Row ranges [start, size] of the environments in z, phi and y. */
  ranges: readonly (readonly [number, number])[];
  /** Per-row weights [n, 1] for weighted ERM. */
  weights?: tfType.Tensor2D;
}

export interface ObjectiveTerms {
  /** The risk plus weighted penalties, before L2 and before the divide-by-w rule. */
  loss: tfType.Scalar;
  /** The factor the whole loss (with L2) is multiplied by: 1/w when w > 1. */
  scale: number;
  /** Mean IRMv1 penalty over environments, reported for every objective. */
  penalty: tfType.Scalar;
}

/** Population variance of a 1-D tensor. */
function variance(tf: TF, v: tfType.Tensor1D): tfType.Scalar {
  return tf.mean(tf.square(tf.sub(v, tf.mean(v)))) as tfType.Scalar;
}

/** The objective's terms at `step` (call inside tf.tidy). */
export function objectiveTerms(tf: TF, o: TrainObjective, step: number, inp: ObjectiveInputs): ObjectiveTerms {
  const slice = (t: tfType.Tensor2D, [start, size]: readonly [number, number]): tfType.Tensor2D => tf.slice(t, [start, 0], [size, t.shape[1] as number]);
  const pens = tf.stack(inp.ranges.map((r) => irmPenalty(tf, slice(inp.z, r), slice(inp.y, r)))) as tfType.Tensor1D;
  const penalty = tf.mean(pens) as tfType.Scalar;
  if (o.kind === 'erm') {
    if (!inp.weights) return { loss: bceWithLogits(tf, inp.z, inp.y), scale: 1, penalty };
    const perRow = tf.add(tf.sub(tf.relu(inp.z), tf.mul(inp.z, inp.y)), tf.log1p(tf.exp(tf.neg(tf.abs(inp.z)))));
    return { loss: tf.mean(tf.mul(perRow, inp.weights)) as tfType.Scalar, scale: 1, penalty };
  }
  const risks = tf.stack(inp.ranges.map((r) => bceWithLogits(tf, slice(inp.z, r), slice(inp.y, r)))) as tfType.Tensor1D;
  const risk = tf.mean(risks) as tfType.Scalar;
  const { weight, scale } = penaltySchedule(step, o.penaltyWeight, o.annealIters);
  let pen: tfType.Scalar;
  switch (o.kind) {
    case 'irm':
      pen = penalty;
      break;
    case 'vrex':
      pen = variance(tf, risks);
      break;
    case 'irm-extrapolated': {
      if (o.variant === 'v') pen = tf.add(tf.mul(1 - o.beta, penalty), tf.mul(o.beta, variance(tf, pens))) as tfType.Scalar;
      else pen = tf.add(tf.mul(1 - o.alpha * inp.ranges.length, tf.max(pens)), tf.mul(o.alpha, tf.sum(pens))) as tfType.Scalar;
      break;
    }
    case 'ib-irm': {
      pen = penalty;
      const ib = step >= o.ibAnnealIters ? o.ibLambda : 0;
      if (ib > 0) {
        const vars = inp.ranges.map((r) => tf.mean(tf.moments(slice(inp.phi, r), 0).variance) as tfType.Scalar);
        const ibPen = tf.mean(tf.stack(vars)) as tfType.Scalar;
        return { loss: tf.add(tf.add(risk, tf.mul(weight, pen)), tf.mul(ib, ibPen)) as tfType.Scalar, scale, penalty };
      }
      break;
    }
  }
  return { loss: tf.add(risk, tf.mul(weight, pen)) as tfType.Scalar, scale, penalty };
}
