import { getMethod } from '../../catalog/index.js';
import { parseSpecText, type ValidatedSpec } from './parse.js';
import { defaultPrefixShardSize, defaultShardSize, planPrefixShards, planTrials, type PlannedShard, type PlannedTrial } from './trials.js';

/** A sweep's trials cut into shards; trials sharing a prefix (by the method's prefix key) share shards. */
export interface SweepPlan {
  trials: PlannedTrial[];
  /** The spec's shard_size, or the default for its trial count (or its prefix groups). */
  shardSize: number;
  shards: PlannedShard[];
}

/** The trials and shards of a validated spec, as a coordinator plans them on submit (and `validate` counts them). */
export function planSweep(sweepId: string, spec: ValidatedSpec): SweepPlan {
  const trials = planTrials(sweepId, spec.grid, spec.params, spec.seeds, spec.samples);
  const prefixKey = prefixKeyOf(spec.method);
  const shardSize = spec.shardSize ?? (prefixKey ? defaultPrefixShardSize(trials, prefixKey) : defaultShardSize(trials.length));
  return { trials, shardSize, shards: planPrefixShards(sweepId, trials, shardSize, prefixKey) };
}

/** The shards of a stored sweep, planned again from its spec text: ids are deterministic, so it is the same plan. */
export function replanShards(sweepId: string, specYaml: string, shardSize: number): PlannedShard[] {
  const spec = parseSpecText(specYaml, { maxTrials: Number.MAX_SAFE_INTEGER, maxTrialMemoryMb: Number.MAX_SAFE_INTEGER });
  return planPrefixShards(sweepId, planTrials(sweepId, spec.grid, spec.params, spec.seeds, spec.samples), shardSize, prefixKeyOf(spec.method));
}

/** The method's prefix key as a function of a planned trial, when its trials share prefixes. */
function prefixKeyOf(method: string): ((t: PlannedTrial) => string) | undefined {
  const key = getMethod(method)?.prefixKey;
  return key ? (t) => key(t.params, t.seed) : undefined;
}
