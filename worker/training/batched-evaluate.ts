import type * as tfType from '@tensorflow/tfjs';
import { TrialFailedError } from '../errors.js';
import { at } from '../checked-access.js';
import type { MlpArrays } from './weights.js';

type TF = typeof tfType;

/**
 * Inference of K models of one architecture on the same rows in one forward pass (one tidy, one
 * read-back): on GPU backends the first layer of all K is one [n, in]·[in, K·h] product (the rows
 * are read once) and the deeper layers batched [K, n, h]·[K, h, h'] products, as the packed
 * trainer's (batched-dense.ts); on the CPU backends each model's own plain products. Each model's
 * P(y = 1) is what predictProba gives it alone, up to float rounding.
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
 * Whether the pass runs each model's layers as plain products (rows uploaded once, one read-back)
 * instead of batched ones: on the CPU backends (wasm, cpu), where every batched form measured slower
 * than plain products. On wasm a batched matMul [16, 4000, 32]·[16, 32, 32] takes 199 ms against
 * 25 ms for the 16 plain ones, the [n, K, h] → [K, n, h] transpose that feeds it 38 ms at
 * n·K·h = 4M, and column slices of the first layer's [n, K·h] output longer still; on cpu the
 * batched pass of a 92-32-1 model took 0.80× the speed of one pass per model (bench/editing-pack.ts).
 */
export const plainProductsOn = (backend: string): boolean => backend === 'wasm' || backend === 'cpu';

/**
 * P(y = 1) of each model on the rows `x` ([n, dim], row-major), from one forward pass of all of
 * them; in the order of `models`. Every model must have the layer widths of the first, take `dim`
 * inputs and give one logit. Batched: the first layer of all K is one [n, in]·[in, K·h] product (the
 * rows read once), middle layers batched [K, n, h]·[K, h, h'] products, and the output layer (width
 * 1) a product and a sum over h ([n, K, h]·[1, K, h], no batched product of width 1). With
 * `plainProducts` (default on the CPU backends: plainProductsOn), each model's own products in the same pass.
 */
export async function predictProbaBatched(tf: TF, models: readonly MlpArrays[], x: Float32Array, n: number, dim: number, plainProducts = plainProductsOn(tf.getBackend())): Promise<Float32Array[]> {
  const k = models.length;
  if (k === 0) return [];
  const dims = at(models, 0, 'models').dims;
  models.forEach((m, j) => {
    if (m.dims.length !== dims.length || m.dims.some((d, i) => d !== dims[i])) {
      throw new TrialFailedError(`batched forward pass: model ${j} has layer widths ${m.dims.join('-')}, model 0 has ${dims.join('-')}`);
    }
  });
  if (at(dims, 0, 'layer widths') !== dim) throw new TrialFailedError(`batched forward pass: the models take ${dims[0]} inputs, the rows have ${dim}`);
  if (dims.at(-1) !== 1) throw new TrialFailedError(`batched forward pass: the models give ${dims.at(-1)} outputs, not one logit`);
  const p = tf.tidy(() => {
    const rows = tf.tensor2d(x, [n, dim]);
    return plainProducts ? plainLogits(tf, models, rows) : batchedLogits(tf, models, rows);
  });
  try {
    const all = await p.data<'float32'>();
    return models.map((_, j) => all.slice(j * n, (j + 1) * n));
  } finally {
    p.dispose();
  }
}

/** P(y = 1) [K, n], each model's layers as its own fused products on the shared rows. */
function plainLogits(tf: TF, models: readonly MlpArrays[], rows: tfType.Tensor2D): tfType.Tensor {
  const dims = at(models, 0, 'models').dims;
  const layers = dims.length - 1;
  const z = models.map((m) => {
    let h: tfType.Tensor = rows;
    for (let l = 0; l < layers; l++) {
      const w = tf.tensor2d(at(m.weights, l, 'layers'), [at(dims, l, 'layer widths'), at(dims, l + 1, 'layer widths')]);
      h = tf.fused.matMul({ a: h, b: w, bias: tf.tensor1d(at(m.biases, l, 'layers')), activation: l < layers - 1 ? 'relu' : 'linear' });
    }
    return tf.reshape(h, [1, rows.shape[0]]);
  });
  return tf.sigmoid(tf.concat(z, 0));
}

/** P(y = 1) [K, n] from batched products (see predictProbaBatched). */
function batchedLogits(tf: TF, models: readonly MlpArrays[], rows: tfType.Tensor2D): tfType.Tensor {
  const k = models.length;
  const n = rows.shape[0];
  const dims = at(models, 0, 'models').dims;
  const layers = dims.length - 1;
  // First layer, all K at once: [n, in]·[in, K·h] → [n, K·h].
  const h1 = at(dims, 1, 'layer widths');
  const first = stackLayer(models, 0, at(dims, 0, 'layer widths'), h1, true);
  const pre = tf.fused.matMul({ a: rows, b: tf.tensor2d(first.w, [at(dims, 0, 'layer widths'), k * h1]), bias: tf.tensor1d(first.b), activation: layers > 1 ? 'relu' : 'linear' });
  if (layers === 1) return tf.sigmoid(tf.transpose(pre));
  // Middle layers on [K, n, h]: batched [K, n, h]·[K, h, h'].
  let h: tfType.Tensor3D = tf.reshape(pre, [n, k, h1]);
  if (layers > 2) h = tf.transpose(h, [1, 0, 2]);
  for (let l = 1; l < layers - 1; l++) {
    const fanIn = at(dims, l, 'layer widths');
    const fanOut = at(dims, l + 1, 'layer widths');
    const s = stackLayer(models, l, fanIn, fanOut, false);
    h = tf.relu(tf.add<tfType.Tensor3D>(tf.matMul(h, tf.tensor3d(s.w, [k, fanIn, fanOut])), tf.tensor3d(s.b, [k, 1, fanOut])));
  }
  // Output layer (width 1): Σ_h act·w per model, on [n, K, h] (one hidden layer) or [K, n, h].
  const last = layers - 1;
  const width = at(dims, last, 'layer widths');
  const out = stackLayer(models, last, width, 1, false);
  if (layers === 2) return tf.sigmoid(tf.transpose(tf.add(tf.sum(tf.mul(h, tf.tensor3d(out.w, [1, k, width])), 2), tf.tensor1d(out.b))));
  return tf.sigmoid(tf.add(tf.sum(tf.mul(h, tf.tensor3d(out.w, [k, 1, width])), 2), tf.tensor2d(out.b, [k, 1])));
}
