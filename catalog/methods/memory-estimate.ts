import type { Param } from '../../proto/index.js';
import type { DatasetShape } from '../datasets/shape.js';

/** Bytes of a float32, the dtype of every tensor a trial builds. */
const FLOAT_BYTES = 4;
/**
 * Float32 copies of every parameter alive at the peak of a training step: the weights, Adam's two
 * moments, the gradients (of the loss and of the L2 term) and the optimiser step's temporaries,
 * which tfjs keeps until the step's tf.tidy ends. 18, measured with tf.profile on the cpu and wasm
 * backends (tests/memory-estimate.test.ts).
 */
export const TRAINING_COPIES = 18;
/**
 * Float32 values per training row and hidden unit alive at the peak of a full-batch step: each
 * layer's pre-activation and output (kept for the backward pass), the ReLU's mask and the gradients
 * flowing back. 6, measured likewise.
 */
export const ACTIVATION_COPIES = 6;

/**
 * What one trial needs in memory, estimated from its params and its dataset's shape before anything
 * is built. The MLP methods train full-batch (worker/training/trainer.ts: every training row goes
 * through the network in each step), so activations scale with the dataset's training rows.
 */
export interface MemoryEstimate {
  /** Trainable parameters of the model. */
  parameters: number;
  /** Weights, Adam's two moments, gradients and the step's temporaries (TRAINING_COPIES float32 per parameter), plus copies a method keeps. */
  modelBytes: number;
  /** Activations of the largest batch (all training rows) and their gradients. */
  activationBytes: number;
  /** Feature rows: the splits, the trainer's concatenated training rows and their tensor, and what a method derives. */
  dataBytes: number;
  /** The sum. */
  bytes: number;
  /** The param that sizes the model (`hidden`) and its value, for messages. */
  param: string;
  value: Param;
}

/** Parameters of an MLP with these layer widths (input, hidden..., output): weights and biases. */
export function mlpParameters(dims: readonly number[]): number {
  let n = 0;
  for (let i = 0; i + 1 < dims.length; i++) n += ((dims[i] ?? 0) + 1) * (dims[i + 1] ?? 0);
  return n;
}

export interface MlpMemoryOptions {
  /** Float32 copies of the whole model a method keeps besides the one it trains (base model, task vectors). */
  extraModelCopies?: number;
  /** Bytes a method allocates besides the MLP's training (covariance matrices, a discriminator). */
  extraBytes?: number;
  /** Float32 values per row and hidden unit of a second network trained on the training rows (a discriminator). */
  extraActivationWidth?: number;
}

/**
 * Memory of full-batch Adam training of an MLP (one logit output) with `hidden` layers on `data`,
 * then scoring every split:
 * - model: TRAINING_COPIES float32 per parameter (weights, Adam's m and v, gradients, temporaries);
 * - activations: ACTIVATION_COPIES float32 per training row and hidden unit (and the output);
 * - data: the splits' features, plus the training rows twice more (concatenated, then as a tensor).
 */
export function mlpTrainingMemory(data: DatasetShape, hidden: readonly number[], o: MlpMemoryOptions = {}): MemoryEstimate {
  const parameters = mlpParameters([data.dim, ...hidden, 1]);
  const width = hidden.reduce((a, b) => a + b, 0) + 1 + (o.extraActivationWidth ?? 0);
  const modelBytes = FLOAT_BYTES * parameters * (TRAINING_COPIES + (o.extraModelCopies ?? 0));
  const activationBytes = FLOAT_BYTES * ACTIVATION_COPIES * data.train * width;
  const dataBytes = FLOAT_BYTES * data.dim * (data.train + data.val + (data.trainval ?? 0) + data.test + 2 * data.train) + (o.extraBytes ?? 0);
  return { parameters, modelBytes, activationBytes, dataBytes, bytes: modelBytes + activationBytes + dataBytes, param: 'hidden', value: [...hidden] };
}

/** `1.5 GiB`, `12 MiB`, `800 KiB`: a byte count for messages. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${v >= 100 ? Math.round(v) : Number(v.toPrecision(3))} ${units[u]}`;
}

/** One line naming the param and the estimate: `hidden [65536, 65536]: about 64 GiB (4.3e9 parameters: ...)`. */
export function describeEstimate(e: MemoryEstimate, rows: number): string {
  const params = Number.isSafeInteger(e.parameters) && e.parameters < 1e7 ? String(e.parameters) : e.parameters.toExponential(2);
  return `${e.param} ${JSON.stringify(e.value).replace(/,/g, ', ')} needs about ${formatBytes(e.bytes)} (a model of ${params} parameters: ${formatBytes(e.modelBytes)} of weights, gradients and Adam state; ${formatBytes(e.activationBytes)} of activations over ${rows} training rows; ${formatBytes(e.dataBytes)} of data)`;
}
