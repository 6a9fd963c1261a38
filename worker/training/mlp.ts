import type * as tfType from '@tensorflow/tfjs';

import { dense } from './dense.js';

type TF = typeof tfType;

/** A multilayer perceptron with ReLU hidden layers and one logit output: weights [in, out] (no transposes). */
export interface Mlp {
  weights: tfType.Variable[];
  biases: tfType.Variable[];
}

/**
 * Xavier/Glorot-uniform weights and zero biases (METHODS.md), seeded so a trial is reproducible.
 */
export function createMlp(tf: TF, inputDim: number, hidden: readonly number[], seed: number): Mlp {
  const dims = [inputDim, ...hidden, 1];
  const weights: tfType.Variable[] = [];
  const biases: tfType.Variable[] = [];
  for (let i = 0; i < dims.length - 1; i++) {
    const fanIn = dims[i] as number;
    const fanOut = dims[i + 1] as number;
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    // A variable keeps its own copy: the initial values are disposed at once.
    const w = tf.randomUniform([fanIn, fanOut], -limit, limit, 'float32', seed * 7919 + i + 1);
    const b = tf.zeros([fanOut]);
    weights.push(tf.variable(w, true));
    biases.push(tf.variable(b, true));
    w.dispose();
    b.dispose();
  }
  return { weights, biases };
}

/**
 * Logits [n, 1]: matMul + bias + ReLU per hidden layer (fused forward, transpose-free backward:
 * see dense.ts), linear output. No gradient is computed for the input unless `inputGrad` (an input
 * trigger being learned).
 */
export function forward(tf: TF, m: Mlp, x: tfType.Tensor2D, inputGrad = false): tfType.Tensor2D {
  return outputLayer(tf, m, hiddenFeatures(tf, m, x, inputGrad), inputGrad);
}

/** The last hidden layer's activations (the representation Φ), [n, width]; x itself without hidden layers. */
export function hiddenFeatures(tf: TF, m: Mlp, x: tfType.Tensor2D, inputGrad = false): tfType.Tensor2D {
  let h = x;
  for (let i = 0; i < m.weights.length - 1; i++) h = dense(tf, h, m.weights[i] as tfType.Tensor2D, m.biases[i] as tfType.Tensor1D, true, i > 0 || inputGrad);
  return h;
}

/** The linear output layer on Φ: logits [n, 1]. */
export function outputLayer(tf: TF, m: Mlp, phi: tfType.Tensor2D, inputGrad = false): tfType.Tensor2D {
  const last = m.weights.length - 1;
  return dense(tf, phi, m.weights[last] as tfType.Tensor2D, m.biases[last] as tfType.Tensor1D, false, last > 0 || inputGrad);
}

export function disposeMlp(m: Mlp): void {
  for (const v of [...m.weights, ...m.biases]) v.dispose();
}

export function mlpVariables(m: Mlp): tfType.Variable[] {
  return [...m.weights, ...m.biases];
}

/** Σ‖θ‖² over every parameter. */
export function l2Norm(tf: TF, m: Mlp): tfType.Scalar {
  return tf.addN(mlpVariables(m).map((v) => tf.sum(tf.square(v)))) as tfType.Scalar;
}
