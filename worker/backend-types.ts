import type * as tfType from '@tensorflow/tfjs';

/** The tfjs backends a worker can run trials on, best first. */
export const BACKEND_NAMES = ['webgpu', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;

export type BackendName = (typeof BACKEND_NAMES)[number];

export function isBackendName(value: unknown): value is BackendName {
  return BACKEND_NAMES.some((name) => name === value);
}

/** A loaded tfjs backend. `tf` is the tfjs namespace with that backend active. */
export interface Backend {
  name: BackendName;
  /** GPU index in use, -1 when none. */
  gpu: number;
  /** The accelerator's name (the WebGPU adapter's, e.g. "NVIDIA H200"); '' on the CPU. */
  device: string;
  tf: typeof tfType;
  /** The largest buffer one kernel may bind (the WebGPU adapter's limit), in bytes; absent on other backends. */
  maxStorageBufferBindingSize?: number;
}
