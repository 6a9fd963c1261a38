import type * as tfType from '@tensorflow/tfjs';

type TF = typeof tfType;

/** Mean binary cross-entropy on logits, numerically stable: max(z, 0) − z·y + log(1 + e^−|z|). */
export function bceWithLogits(tf: TF, z: tfType.Tensor, y: tfType.Tensor): tfType.Scalar {
  return tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))))) as tfType.Scalar;
}

/**
 * IRMv1 penalty of one environment (Arjovsky et al.): the squared derivative of R_e(s·z) at s = 1.
 * For binary cross-entropy on logits z, dR/ds at s=1 = mean((σ(z) − y)·z), so no double backprop.
 */
export function irmPenalty(tf: TF, z: tfType.Tensor, y: tfType.Tensor): tfType.Scalar {
  return tf.square(tf.mean(tf.mul(tf.sub(tf.sigmoid(z), y), z))) as tfType.Scalar;
}

/**
 * The weight of the IRM penalty at a step (METHODS.md): penalty_weight once step ≥ anneal_iters,
 * 1.0 before; and the factor the whole loss is divided by (w when w > 1, else 1).
 */
export function penaltySchedule(step: number, penaltyWeight: number, annealIters: number): { weight: number; scale: number } {
  const weight = step >= annealIters ? penaltyWeight : 1.0;
  return { weight, scale: weight > 1 ? 1 / weight : 1 };
}
