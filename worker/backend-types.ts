import type * as tfType from '@tensorflow/tfjs';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** A loaded tfjs backend. `tf` is the tfjs namespace with that backend active. */
export interface Backend {
  name: BackendName;
  /** GPU index in use, -1 when none. */
  gpu: number;
  tf: typeof tfType;
}
