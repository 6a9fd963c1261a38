import type * as tfType from '@tensorflow/tfjs';
import type { Mlp } from './mlp.js';
import { at } from '../checked-access.js';

type TF = typeof tfType;

/** An MLP's parameters as plain arrays: kept off the backend (caches, task vectors), shapes alongside. */
export interface MlpArrays {
  weights: Float32Array[];
  biases: Float32Array[];
  /** Layer widths: [input, ...hidden, 1]. */
  dims: number[];
}

/** Reads a model's parameters back from the backend. */
export async function mlpToArrays(m: Mlp): Promise<MlpArrays> {
  const weights = await Promise.all(m.weights.map((w) => w.data<'float32'>()));
  const biases = await Promise.all(m.biases.map((b) => b.data<'float32'>()));
  const dims = [at(at(m.weights, 0, 'layers').shape, 0), ...m.weights.map((w) => at(w.shape, 1))];
  return { weights: weights.map((w) => w.slice()), biases: biases.map((b) => b.slice()), dims };
}

/** A model holding these parameters (trainable variables or frozen ones); the caller disposes it. */
/** A variable holding `t`'s values; `t` is disposed (a variable keeps its own copy). */
export function variableFrom(tf: TF, t: tfType.Tensor, trainable = true): tfType.Variable {
  const v = tf.variable(t, trainable);
  t.dispose();
  return v;
}

export function mlpFromArrays(tf: TF, a: MlpArrays, trainable: boolean): Mlp {
  const keep = (t: tfType.Tensor): tfType.Variable => variableFrom(tf, t, trainable);
  return {
    weights: a.weights.map((w, i) => keep(tf.tensor2d(w, [a.dims[i] as number, a.dims[i + 1] as number]))),
    biases: a.biases.map((b) => keep(tf.tensor1d(b))),
  };
}

/** θ − θ₀ for every parameter: a task vector. */
export function subtract(a: MlpArrays, b: MlpArrays): MlpArrays {
  const diff = (x: Float32Array[], y: Float32Array[]): Float32Array[] =>
    x.map((v, i) => {
      const w = at(y, i, 'layers');
      return v.map((e, j) => e - at(w, j, 'parameters'));
    });
  return { weights: diff(a.weights, b.weights), biases: diff(a.biases, b.biases), dims: a.dims };
}

/** θ₀ + Σ_g λ_g·τ_g. */
export function combine(base: MlpArrays, vectors: readonly MlpArrays[], lambdas: readonly number[]): MlpArrays {
  const add = (pick: (m: MlpArrays) => Float32Array[]): Float32Array[] =>
    pick(base).map((v, i) => {
      const out = v.slice();
      vectors.forEach((tau, g) => {
        const t = at(pick(tau), i, 'layers');
        const l = at(lambdas, g, 'coefficients');
        for (let j = 0; j < out.length; j++) out[j] = (out[j] as number) + l * (t[j] as number);
      });
      return out;
    });
  return { weights: add((m) => m.weights), biases: add((m) => m.biases), dims: base.dims };
}

/** Bytes held by the arrays (for the prefix cache's bound). */
export function arraysBytes(a: MlpArrays): number {
  return [...a.weights, ...a.biases].reduce((s, v) => s + v.byteLength, 0);
}
