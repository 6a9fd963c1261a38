import type { MethodDescriptor } from './types.js';
import { bottleneckExtra, trainingMemory } from './method-memory.js';
import { PER_TRIAL_PENALTY, PER_TRIAL_TRAINING, groupBalancingPackKey, packKeyExcept } from './pack-key.js';
import { TRAINING_DATASETS, asParams, trainingMemoryEstimate, trainingParamShape, balancingParams, groupBalancingParams, ibIrmParams, irmExtrapolatedParams, vrexParams } from './training-params.js';


/** `vrex`: V-REx (DomainBed): risk + penalty_weight · population variance of the environments' risks. */
export const vrexMethod: MethodDescriptor = {
  name: 'vrex',
  summary: 'V-REx: mean risk + penalty_weight · variance of the per-environment risks',
  datasets: TRAINING_DATASETS,
  memory: trainingMemoryEstimate,
  params: asParams(vrexParams),
  packKey: packKeyExcept(asParams(vrexParams), PER_TRIAL_PENALTY),
};

/** `irm-extrapolated`: IRMv1 with the v-IRMv1 or mm-IRMv1 penalty (Yoshida & Slavakis 2025). */
export const irmExtrapolatedMethod: MethodDescriptor = {
  name: 'irm-extrapolated',
  summary: 'IRMv1 with extrapolated penalties: v-IRMv1 (variance, beta) or mm-IRMv1 (min-max, alpha ≤ 0)',
  datasets: TRAINING_DATASETS,
  memory: trainingMemoryEstimate,
  params: asParams(irmExtrapolatedParams),
  // The objective is per trial in a pack: the variant and its beta / alpha too.
  packKey: packKeyExcept(asParams(irmExtrapolatedParams), [...PER_TRIAL_PENALTY, 'variant', 'beta', 'alpha']),
};

/** `ib-irm`: IRMv1 plus the information-bottleneck penalty on the last hidden layer (Ahuja et al. 2021). */
export const ibIrmMethod: MethodDescriptor = {
  name: 'ib-irm',
  summary: 'IB-IRM: IRMv1 + ib_lambda · mean variance of the last hidden layer per environment',
  datasets: TRAINING_DATASETS,
  memory: trainingMemory(trainingParamShape.hidden, bottleneckExtra),
  params: asParams(ibIrmParams),
  packKey: packKeyExcept(asParams(ibIrmParams), [...PER_TRIAL_PENALTY, 'ib_lambda', 'ib_penalty_anneal_iters']),
};

/** `reweight`: ERM with each row weighted by 1/|its group| (or class), normalised. */
export const reweightMethod: MethodDescriptor = {
  name: 'reweight',
  summary: 'group balancing by reweighting: ERM with weights 1/|group| (balance: group | class)',
  datasets: TRAINING_DATASETS,
  memory: trainingMemoryEstimate,
  params: asParams(balancingParams),
  // Row weights are per trial in a pack: `balance` too.
  packKey: packKeyExcept(asParams(balancingParams), [...PER_TRIAL_TRAINING, 'balance']),
};

/** `subsample`: ERM on every group drawn down to the smallest group's size. */
export const subsampleMethod: MethodDescriptor = {
  name: 'subsample',
  summary: 'group balancing by subsampling every group (or class) to the smallest one',
  datasets: TRAINING_DATASETS,
  memory: trainingMemoryEstimate,
  params: asParams(balancingParams),
  // The rows are drawn by the seed and `balance`: both in the key.
  packKey: packKeyExcept(asParams(balancingParams), PER_TRIAL_TRAINING),
};

/** `group-balancing`: `strategy: none | reweight | subsample`, so one sweep compares them. */
export const groupBalancingMethod: MethodDescriptor = {
  name: 'group-balancing',
  summary: 'ERM (strategy none), reweighting or subsampling by group or class, chosen by a param',
  datasets: TRAINING_DATASETS,
  memory: trainingMemoryEstimate,
  params: asParams(groupBalancingParams),
  packKey: groupBalancingPackKey(asParams(groupBalancingParams)),
};
