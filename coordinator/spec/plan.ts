import { getMethod } from '../../catalog/index.js';
import type { ValidatedSpec } from './parse.js';
import { defaultPrefixShardSize, defaultShardSize, planPrefixShards, planTrials, type PlannedShard, type PlannedTrial } from './trials.js';

export interface SweepPlan {
  trials: PlannedTrial[];
  /** The spec's shard_size, or the default for its trial count (or its prefix groups). */
  shardSize: number;
  shards: PlannedShard[];
}

/** The trials and shards of a validated spec, as a coordinator plans them on submit. */
export function planSweep(sweepId: string, spec: ValidatedSpec): SweepPlan {
  const trials = planTrials(sweepId, spec.grid, spec.params, spec.seeds, spec.samples);
  const key = getMethod(spec.method)?.prefixKey;
  const prefixKey = key ? (t: PlannedTrial): string => key(t.params, t.seed) : undefined;
  const shardSize = spec.shardSize ?? (prefixKey ? defaultPrefixShardSize(trials, prefixKey) : defaultShardSize(trials.length));
  return { trials, shardSize, shards: planPrefixShards(sweepId, trials, shardSize, prefixKey) };
}
