import type * as tfType from '@tensorflow/tfjs';
import { TrialFailedError } from '../errors.js';
import { at } from '../checked-access.js';
import type { MlpArrays } from './weights.js';

type TF = typeof tfType;

/**
 * Inference of K models of one architecture on the same rows in one batched forward pass: the
 * first layer of all K is one [n, in]·[in, K·h] product (the rows are read once), the deeper
 * layers are batched [K, n, h]·[K, h, h'] products, as the packed trainer's (batched-dense.ts).
 * Each model's P(y = 1) is what predictProba gives it alone, up to float rounding.
 */

/** Bytes a batched forward pass holds per model on `n` rows: its weights stacked, plus its activations. */
export function batchedForwardBytes(dims: readonly number[], n: number): number {
  let params = 0;
  let widest = 0;
  for (let l = 0; l < dims.length - 1; l++) {
    const out = at(dims, l + 1, 'layer widths');
    params += at(dims, l, 'layer widths') * out + out;
    widest = Math.max(widest, out);
  }
  // A layer's input and output activations live at once, plus the [n, K, h] → [K, n, h] copy of the first.
  return 4 * (params + 3 * n * widest);
}

/** How many models one batched pass may take so that it holds at most `maxBytes` (at least one). */
export function batchedForwardChunk(dims: readonly number[], n: number, maxBytes: number): number {
  return Math.max(1, Math.floor(maxBytes / batchedForwardBytes(dims, n)));
}

/** Layer l of every model side by side: [in, K·out] (first layer) or stacked [K, in, out]; biases [K·out] or [K, 1, out]. */
function stackLayer(models: readonly MlpArrays[], l: number, fanIn: number, fanOut: number, sideBySide: boolean): { w: Float32Array; b: Float32Array } {
  const k = models.length;
  const w = new Float32Array(k * fanIn * fanOut);
  const b = new Float32Array(k * fanOut);
  models.forEach((m, j) => {
    const mw = at(m.weights, l, 'layers');
    b.set(at(m.biases, l, 'layers'), j * fanOut);
    if (!sideBySide) {
      w.set(mw, j * fanIn * fanOut);
      return;
    }
    for (let i = 0; i < fanIn; i++) w.set(mw.subarray(i * fanOut, (i + 1) * fanOut), i * k * fanOut + j * fanOut);
  });
  return { w, b };
}

/**
 * P(y = 1) of each model on the rows `x` ([n, dim], row-major), from one batched forward pass;
 * in the order of `models`. Every model must have the layer widths of the first and take `dim` inputs.
 */
export async function predictProbaBatched(tf: TF, models: readonly MlpArrays[], x: Float32Array, n: number, dim: number): Promise<Float32Array[]> {
  const k = models.length;
  if (k === 0) return [];
  const dims = at(models, 0, 'models').dims;
  models.forEach((m, j) => {
    if (m.dims.length !== dims.length || m.dims.some((d, i) => d !== dims[i])) {
      throw new TrialFailedError(`batched forward pass: model ${j} has layer widths ${m.dims.join('-')}, model 0 has ${dims.join('-')}`);
    }
  });
  if (at(dims, 0, 'layer widths') !== dim) throw new TrialFailedError(`batched forward pass: the models take ${dims[0]} inputs, the rows have ${dim}`);
  const layers = dims.length - 1;
  const p = tf.tidy(() => {
    // First layer, all K at once: [n, in]·[in, K·h] → [n, K·h] → [K, n, h].
    const h1 = at(dims, 1, 'layer widths');
    const first = stackLayer(models, 0, dim, h1, true);
    const pre = tf.fused.matMul({ a: tf.tensor2d(x, [n, dim]), b: tf.tensor2d(first.w, [dim, k * h1]), bias: tf.tensor1d(first.b), activation: layers > 1 ? 'relu' : 'linear' });
    let h = tf.transpose(tf.reshape(pre, [n, k, h1]), [1, 0, 2]) as tfType.Tensor3D;
    for (let l = 1; l < layers; l++) {
      const fanIn = at(dims, l, 'layer widths');
      const fanOut = at(dims, l + 1, 'layer widths');
      const s = stackLayer(models, l, fanIn, fanOut, false);
      const z = tf.add(tf.matMul(h, tf.tensor3d(s.w, [k, fanIn, fanOut])), tf.tensor3d(s.b, [k, 1, fanOut]));
      h = (l < layers - 1 ? tf.relu(z) : z) as tfType.Tensor3D;
    }
    return tf.sigmoid(h);
  });
  try {
    const all = await p.data<'float32'>();
    return models.map((_, j) => all.slice(j * n, (j + 1) * n));
  } finally {
    p.dispose();
  }
}
