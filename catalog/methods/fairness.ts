import type { MethodDescriptor } from './types.js';
import { TRAINING_DATASETS, asParams, trainingParamShape } from './training-params.js';
import { discriminatorExtra, steeringExtra, trainingMemory } from './method-memory.js';
import { reprogramParams, steerParams } from './fairness-params.js';


/** `steer`: optimal affine steering of group feature distributions (Sharma et al. 2025). */
export const steerMethod: MethodDescriptor = {
  name: 'steer',
  summary: 'optimal affine steering of each group to the KL-nearest common Gaussian, strength t in [0, 1]; head retrained',
  datasets: TRAINING_DATASETS,
  leaveOneDomainOut: true,
  params: asParams(steerParams),
  memory: trainingMemory(trainingParamShape.hidden, steeringExtra),
};

/** `reprogram`: fairness reprogramming with an input trigger trained against a discriminator (Zhang et al. 2022). */
export const reprogramMethod: MethodDescriptor = {
  name: 'reprogram',
  summary: 'frozen model + additive input trigger trained min-max against a group discriminator, weight lambda',
  datasets: TRAINING_DATASETS,
  leaveOneDomainOut: true,
  params: asParams(reprogramParams),
  memory: trainingMemory(trainingParamShape.hidden, discriminatorExtra),
};
