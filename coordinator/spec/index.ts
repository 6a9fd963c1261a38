export { parseSpecText, validateSpec, type ValidatedSpec, type Objective, type SpecLimits } from './parse.js';
export { axisLength, axisValues, expandGrid, gridPoints, type Axis } from './grid.js';
export { SPEC_LIMITS, type SpecLimitName } from './limits.js';
export { DEFAULT_MAX_TRIAL_MEMORY_MB } from './memory-check.js';
export { planTrials, planShards, planPrefixShards, trialId, defaultShardSize, defaultPrefixShardSize, type PlannedTrial, type PlannedShard } from './trials.js';
export { DEFAULT_MAX_TRIALS, DEFAULT_MAX_ATTEMPTS, DEFAULT_SEEDS } from './schema.js';
export { drawSamples, drawValue } from './search.js';
export type { Distribution, Search } from './schema.js';
export { planSweep, replanShards, type SweepPlan } from './plan.js';
