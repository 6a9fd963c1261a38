import type { MethodDescriptor } from './types.js';
import { PER_TRIAL_PENALTY, packKeyExcept } from './pack-key.js';
import { TRAINING_DATASETS, asParams, trainingMemoryEstimate, irmParams } from './training-params.js';

/** `irm`: IRMv1 (Arjovsky et al.) exactly as in METHODS.md, over the dataset's training environments. */
export const irmMethod: MethodDescriptor = {
  name: 'irm',
  summary: 'IRMv1: risk + penalty_weight · squared gradient of the risk wrt a dummy classifier scale',
  datasets: TRAINING_DATASETS,
  memory: trainingMemoryEstimate,
  params: asParams(irmParams),
  packKey: packKeyExcept(asParams(irmParams), PER_TRIAL_PENALTY),
};
