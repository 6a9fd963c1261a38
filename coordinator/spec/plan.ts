import { getMethod } from '../../catalog/index.js';
import { parseSpecText, type ValidatedSpec } from './parse.js';
import { SweepSearch } from '../search/index.js';
import { defaultPrefixShardSize, defaultShardSize, planPrefixShards, planTrials, type PlannedShard, type PlannedTrial } from './trials.js';
import { defaultPackShardSize, packGroupKey } from './pack-shards.js';

/**
 * A sweep's trials cut into shards; trials sharing a prefix (by the method's prefix key) share
 * shards, and so do trials that can train as one pack (by its pack key) unless the spec says `pack: off`.
 */
export interface SweepPlan {
  trials: PlannedTrial[];
  /** The spec's shard_size, or the default for its trial count (or its prefix groups). */
  shardSize: number;
  shards: PlannedShard[];
  /** Trials and shards of the whole sweep: more than planned now for an adaptive search, whose later batches are proposed from results. */
  totalTrials: number;
  totalShards: number;
}

/** The trials and shards of a validated spec, as a coordinator plans them on submit (and `validate` counts them). */
export function planSweep(sweepId: string, spec: ValidatedSpec): SweepPlan {
  const search = SweepSearch.of(sweepId, spec);
  if (search) {
    const shards = search.ask();
    return { trials: shards.flatMap((s) => s.trials), shardSize: spec.seeds.length, shards, totalTrials: search.totalTrials, totalShards: search.totalShards };
  }
  const trials = planTrials(sweepId, spec.grid, spec.params, spec.seeds, spec.samples);
  const prefixKey = prefixKeyOf(spec.method);
  const packKey = prefixKey ? undefined : packGroupKey(spec.method, spec.pack);
  const shardSize = spec.shardSize ?? (prefixKey ? defaultPrefixShardSize(trials, prefixKey) : packKey ? defaultPackShardSize(trials, packKey, spec.pack) : defaultShardSize(trials.length));
  const shards = planPrefixShards(sweepId, trials, shardSize, prefixKey ?? packKey);
  return { trials, shardSize, shards, totalTrials: trials.length, totalShards: shards.length };
}

/** The shards of a stored sweep as first dispatched, planned again from its spec text: ids are deterministic, so it is the same plan. */
export function replanShards(sweepId: string, specYaml: string, shardSize: number): PlannedShard[] {
  const spec = parseSpecText(specYaml, { maxTrials: Number.MAX_SAFE_INTEGER, maxTrialMemoryMb: Number.MAX_SAFE_INTEGER });
  // An adaptive search's first batches (the later ones are proposed from results).
  const search = SweepSearch.of(sweepId, spec);
  if (search) return search.ask();
  return planPrefixShards(sweepId, planTrials(sweepId, spec.grid, spec.params, spec.seeds, spec.samples), shardSize, prefixKeyOf(spec.method) ?? packGroupKey(spec.method, spec.pack));
}

/** The method's prefix key as a function of a planned trial, when its trials share prefixes. */
function prefixKeyOf(method: string): ((t: PlannedTrial) => string) | undefined {
  const key = getMethod(method)?.prefixKey;
  return key ? (t) => key(t.params, t.seed) : undefined;
}
