import type * as tfType from '@tensorflow/tfjs';
import { TrialFailedError, throwIfCancelled } from '../errors.js';
import type { Split } from '../datasets/index.js';
import { Rng } from '../../common/index.js';
import { bceWithLogits } from './losses.js';
import { dense } from './dense.js';
import { variableFrom, type MlpArrays } from './weights.js';
import { at } from '../checked-access.js';

type TF = typeof tfType;

/**
 * LoRA (Hu et al., loralib) on every dense layer of a frozen MLP: W and b stay fixed; each layer
 * gains A (r×in, Kaiming-uniform as loralib's `kaiming_uniform_(a=√5)`: bound 1/√in) and B
 * (out×r, zeros), and computes x·W + b + (α/r)·x·Aᵀ·Bᵀ. In our [in, out] layout the delta is
 * (α/r)·Aᵀ·Bᵀ, an [in, out] matrix; it is itself a task vector (biases unchanged).
 */
export interface LoraFactors {
  /** Aᵀ per layer, [in, r]. */
  a: Float32Array[];
  /** Bᵀ per layer, [r, out]. */
  b: Float32Array[];
  rank: number;
  alpha: number;
}

export interface LoraOptions {
  rank: number;
  alpha: number;
  steps: number;
  lr: number;
  seed: number;
  signal: AbortSignal;
  heartbeat(): void;
  /** Start from these factors instead of A random, B = 0 (tests). */
  initial?: LoraFactors;
}

/** A fresh LoRA initialisation for a model of these layer widths. */
export function initLora(dims: readonly number[], rank: number, alpha: number, seed: number): LoraFactors {
  const rng = new Rng(seed ^ 0x10a);
  const a: Float32Array[] = [];
  const b: Float32Array[] = [];
  for (let i = 0; i < dims.length - 1; i++) {
    const fanIn = dims[i] as number;
    const bound = 1 / Math.sqrt(fanIn);
    a.push(Float32Array.from({ length: fanIn * rank }, () => (2 * rng.next() - 1) * bound));
    b.push(new Float32Array(rank * (dims[i + 1] as number)));
  }
  return { a, b, rank, alpha };
}

/** The per-layer weight deltas (α/r)·Aᵀ·Bᵀ as a task vector over `base`'s shapes (zero bias deltas). */
export function loraDelta(base: MlpArrays, f: LoraFactors): MlpArrays {
  const s = f.alpha / f.rank;
  const weights = base.weights.map((_, i) => {
    const fanIn = base.dims[i] as number;
    const fanOut = base.dims[i + 1] as number;
    const a = at(f.a, i, 'LoRA A factors');
    const b = at(f.b, i, 'LoRA B factors');
    const d = new Float32Array(fanIn * fanOut);
    for (let p = 0; p < fanIn; p++) {
      for (let k = 0; k < f.rank; k++) {
        const apk = s * (a[p * f.rank + k] as number);
        if (apk === 0) continue;
        for (let q = 0; q < fanOut; q++) d[p * fanOut + q] = (d[p * fanOut + q] as number) + apk * (b[k * fanOut + q] as number);
      }
    }
    return d;
  });
  return { weights, biases: base.biases.map((v) => new Float32Array(v.length)), dims: base.dims };
}

/** Trains LoRA factors on `data` with the base model frozen (full-batch Adam on cross-entropy). */
export async function trainLora(tf: TF, base: MlpArrays, data: Split, o: LoraOptions): Promise<LoraFactors> {
  const init = o.initial ?? initLora(base.dims, o.rank, o.alpha, o.seed);
  const dim = base.dims[0] as number;
  const x = tf.tensor2d(data.x, [data.n, dim]);
  const y = tf.tensor2d(data.y, [data.n, 1]);
  const ws = base.weights.map((w, i) => tf.tensor2d(w, [base.dims[i] as number, base.dims[i + 1] as number]));
  const bs = base.biases.map((b) => tf.tensor1d(b));
  const as = init.a.map((a, i) => variableFrom(tf, tf.tensor2d(a, [base.dims[i] as number, o.rank])));
  const bsLora = init.b.map((b, i) => variableFrom(tf, tf.tensor2d(b, [o.rank, base.dims[i + 1] as number])));
  const optimizer = tf.train.adam(o.lr);
  const scale = o.alpha / o.rank;
  try {
    const logits = (): tfType.Tensor2D => {
      let h = x;
      const last = ws.length - 1;
      for (let i = 0; i <= last; i++) {
        // x·(W + s·Aᵀ·Bᵀ) + b: the same output as x·W + b + s·x·Aᵀ·Bᵀ, one large matMul per layer.
        const wEff = tf.add(ws[i] as tfType.Tensor2D, tf.mul(scale, tf.matMul(as[i] as tfType.Variable, bsLora[i] as tfType.Variable))) as tfType.Tensor2D;
        h = dense(tf, h, wEff, bs[i] as tfType.Tensor1D, i < last, i > 0);
      }
      return h;
    };
    for (let step = 0; step < o.steps; step++) {
      tf.tidy(() => {
        optimizer.minimize(() => bceWithLogits(tf, logits(), y), false, [...as, ...bsLora]);
      });
      if (step % 25 === 24 || step === o.steps - 1) {
        const l = tf.tidy(() => bceWithLogits(tf, logits(), y));
        const v = at(await l.data<'float32'>(), 0, 'loss');
        l.dispose();
        if (!Number.isFinite(v)) throw new TrialFailedError(`LoRA fine-tuning diverged at step ${step + 1} (loss=${v}); lower finetune_lr`);
        o.heartbeat();
      }
      if (step % 5 === 0) {
        await new Promise<void>((r) => setImmediate(r));
        throwIfCancelled(o.signal);
      }
    }
    return {
      a: await Promise.all(as.map(async (v) => (await v.data<'float32'>()).slice())),
      b: await Promise.all(bsLora.map(async (v) => (await v.data<'float32'>()).slice())),
      rank: o.rank,
      alpha: o.alpha,
    };
  } finally {
    tf.dispose([x, y, ...ws, ...bs, ...as, ...bsLora]);
    optimizer.dispose();
  }
}
