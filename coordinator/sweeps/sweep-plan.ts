import { getMethod } from '../../catalog/index.js';
import { parseSpecText, planTrials, planPrefixShards, defaultShardSize, defaultPrefixShardSize, type PlannedShard, type PlannedTrial, type ValidatedSpec } from '../spec/index.js';

/** A sweep's trials cut into shards; trials sharing a prefix (by the method's prefix key) share shards. */
export interface SweepPlan {
  trials: PlannedTrial[];
  shardSize: number;
  shards: PlannedShard[];
}

/** Plans a new sweep: the spec's shard size, or a default for its number of trials and prefixes. */
export function planSweep(id: string, spec: ValidatedSpec): SweepPlan {
  const trials = planTrials(id, spec.grid, spec.params, spec.seeds, spec.samples);
  const prefixKey = prefixKeyOf(spec.method);
  const shardSize = spec.shardSize ?? (prefixKey ? defaultPrefixShardSize(trials, prefixKey) : defaultShardSize(trials.length));
  return { trials, shardSize, shards: planPrefixShards(id, trials, shardSize, prefixKey) };
}

/** The shards of a stored sweep, planned again from its spec text: ids are deterministic, so it is the same plan. */
export function replanShards(id: string, specYaml: string, shardSize: number): PlannedShard[] {
  const spec = parseSpecText(specYaml, { maxTrials: Number.MAX_SAFE_INTEGER, maxTrialMemoryMb: Number.MAX_SAFE_INTEGER });
  return planPrefixShards(id, planTrials(id, spec.grid, spec.params, spec.seeds, spec.samples), shardSize, prefixKeyOf(spec.method));
}

/** The method's prefix key as a function of a planned trial, when its trials share prefixes. */
function prefixKeyOf(method: string): ((t: PlannedTrial) => string) | undefined {
  const key = getMethod(method)?.prefixKey;
  return key ? (t) => key(t.params, t.seed) : undefined;
}
