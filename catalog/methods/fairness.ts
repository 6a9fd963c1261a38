import type { MethodDescriptor } from './types.js';
import { TRAINING_DATASETS, asParams, trainingParamShape } from './training-params.js';
import { PER_TRIAL_TRAINING, packKeyExcept } from './pack-key.js';
import { discriminatorExtra, steeringExtra, trainingMemory } from './method-memory.js';
import { reprogramParams, steerParams } from './fairness-params.js';


/** `steer`: optimal affine steering of group feature distributions (Sharma et al. 2025). */
export const steerMethod: MethodDescriptor = {
  name: 'steer',
  summary: 'optimal affine steering of each group to the KL-nearest common Gaussian, strength t in [0, 1]; head retrained',
  datasets: TRAINING_DATASETS,
  params: asParams(steerParams),
  // The classifier trains on rows steered by `strength` and `ridge`: trials pack over lr and l2 only.
  packKey: packKeyExcept(asParams(steerParams), PER_TRIAL_TRAINING),
  memory: trainingMemory(trainingParamShape.hidden, steeringExtra),
};

/** `reprogram`: fairness reprogramming with an input trigger trained against a discriminator (Zhang et al. 2022). */
export const reprogramMethod: MethodDescriptor = {
  name: 'reprogram',
  summary: 'frozen model + additive input trigger trained min-max against a group discriminator, weight lambda',
  datasets: TRAINING_DATASETS,
  params: asParams(reprogramParams),
  // The base models (lr, l2) train as one pack; each trial's trigger then trains on its own base.
  packKey: packKeyExcept(asParams(reprogramParams), [...PER_TRIAL_TRAINING, 'lambda', 'trigger_steps', 'trigger_lr', 'disc_hidden']),
  memory: trainingMemory(trainingParamShape.hidden, discriminatorExtra),
};
