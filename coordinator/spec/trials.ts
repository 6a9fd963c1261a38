import { createHash } from 'node:crypto';
import { canonicalJson, type Params } from '../../proto/index.js';
import { expandGrid, type Axis } from './grid.js';

export interface PlannedTrial {
  id: string;
  index: number;
  params: Params;
  seed: number;
}

export interface PlannedShard {
  id: string;
  index: number;
  trials: PlannedTrial[];
}

/** Deterministic trial id: a hash of the sweep id, the canonical params and the seed. */
export function trialId(sweepId: string, params: Params, seed: number): string {
  const h = createHash('sha256').update(sweepId).update('\0').update(canonicalJson(params)).update('\0').update(String(seed));
  return `t${h.digest('hex').slice(0, 24)}`;
}

/**
 * Every grid point times every random-search sample times every seed (seeds vary fastest, then
 * samples), with ids and expansion indices. Without a search, `samples` is empty.
 */
export function planTrials(sweepId: string, axes: readonly Axis[], fixed: Params, seeds: readonly number[], samples: readonly Params[] = []): PlannedTrial[] {
  const out: PlannedTrial[] = [];
  const points = samples.length > 0 ? samples : [{}];
  for (const gridPoint of expandGrid(axes, fixed)) {
    for (const sample of points) {
      const params = samples.length > 0 ? { ...gridPoint, ...sample } : gridPoint;
      for (const seed of seeds) out.push({ id: trialId(sweepId, params, seed), index: out.length, params, seed });
    }
  }
  return out;
}

/** Largest default shard; shards stay small enough that the tail of a sweep balances across slots. */
export const MAX_DEFAULT_SHARD_SIZE = 64;
/** A sweep is cut into about this many shards by default before shards grow past one trial. */
export const DEFAULT_SHARDS_PER_SWEEP = 1024;

/**
 * Default shard size: one trial per shard up to 1024 trials (best load balance), then growing so a
 * sweep has about 1024 shards, capped at 64 trials (dispatch overhead amortised on huge sweeps).
 */
export function defaultShardSize(trials: number): number {
  return Math.max(1, Math.min(MAX_DEFAULT_SHARD_SIZE, Math.floor(trials / DEFAULT_SHARDS_PER_SWEEP)));
}

/** Cuts trials, in order, into shards of `size`; shard ids derive from the sweep id. */
export function planShards(sweepId: string, trials: readonly PlannedTrial[], size: number): PlannedShard[] {
  const shards: PlannedShard[] = [];
  for (let i = 0; i < trials.length; i += size) {
    shards.push({ id: `${sweepId}-s${shards.length}`, index: shards.length, trials: trials.slice(i, i + size) });
  }
  return shards;
}

/**
 * Shards for a method whose trials share expensive prefixes: trials with equal `prefixKey` are
 * kept together (groups in order of first appearance), each group cut into shards of `size`, so a
 * worker computes the prefix once for a whole shard. Without a key, `planShards`.
 */
export function planPrefixShards(sweepId: string, trials: readonly PlannedTrial[], size: number, prefixKey?: (t: PlannedTrial) => string): PlannedShard[] {
  if (!prefixKey) return planShards(sweepId, trials, size);
  const groups = new Map<string, PlannedTrial[]>();
  for (const t of trials) {
    const k = prefixKey(t);
    const g = groups.get(k);
    if (g) g.push(t);
    else groups.set(k, [t]);
  }
  const shards: PlannedShard[] = [];
  for (const g of groups.values()) {
    for (let i = 0; i < g.length; i += size) shards.push({ id: `${sweepId}-s${shards.length}`, index: shards.length, trials: g.slice(i, i + size) });
  }
  return shards;
}

/** Default shard size of a prefix-sharing sweep: a whole prefix group per shard, up to the cap. */
export function defaultPrefixShardSize(trials: readonly PlannedTrial[], prefixKey: (t: PlannedTrial) => string): number {
  const counts = new Map<string, number>();
  for (const t of trials) counts.set(prefixKey(t), (counts.get(prefixKey(t)) ?? 0) + 1);
  return Math.max(1, Math.min(MAX_DEFAULT_SHARD_SIZE, ...counts.values()));
}
