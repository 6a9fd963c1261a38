import type { MethodDescriptor } from './types.js';
import { PER_TRIAL_TRAINING, packKeyExcept } from './pack-key.js';
import { TRAINING_DATASETS, asParams, trainingMemoryEstimate, ermParams } from './training-params.js';

/** `erm`: an MLP trained by empirical risk minimisation (mean cross-entropy + L2). */
export const ermMethod: MethodDescriptor = {
  name: 'erm',
  summary: 'MLP trained by empirical risk minimisation',
  datasets: TRAINING_DATASETS,
  memory: trainingMemoryEstimate,
  params: asParams(ermParams),
  packKey: packKeyExcept(asParams(ermParams), PER_TRIAL_TRAINING),
};
