import { getMethod } from '../../catalog/index.js';
import { PACK_OFF, packSetting } from '../../proto/index.js';
import { MAX_DEFAULT_SHARD_SIZE, defaultShardSize, type PlannedTrial } from './trials.js';

/**
 * Shard planning for packed training: trials whose pack keys are equal (MethodDescriptor.packKey)
 * are put in the same shards, so that a worker can train them as one pack.
 */

/**
 * Default shard size of a packable sweep with `pack: auto`: the worker packs only on a GPU backend,
 * and on a CPU one it runs the shard's trials one after another, so shards stay small enough that
 * the tail of a sweep still balances across CPU workers.
 */
export const DEFAULT_PACK_SHARD_SIZE = 8;

/** The key shards are grouped by for a method that packs, unless `pack` (the wire number) is off. */
export function packGroupKey(method: string, pack: number): ((t: PlannedTrial) => string) | undefined {
  if (pack === PACK_OFF) return undefined;
  const key = getMethod(method)?.packKey;
  return key ? (t) => key(t.params, t.seed) : undefined;
}

/** The most trials a worker packs at once by default under `pack` (the wire number): K, or DEFAULT_PACK_SHARD_SIZE for auto. */
export function packShardCap(pack: number): number {
  const s = packSetting(pack);
  return Math.min(MAX_DEFAULT_SHARD_SIZE, s.mode === 'max' ? s.k : DEFAULT_PACK_SHARD_SIZE);
}

/**
 * Default shard size of a packable sweep: a whole pack group per shard, up to K (`pack: K`) or
 * DEFAULT_PACK_SHARD_SIZE (auto), and never below the size a sweep of this many trials gets anyway.
 */
export function defaultPackShardSize(trials: readonly PlannedTrial[], packKey: (t: PlannedTrial) => string, pack: number): number {
  const counts = new Map<string, number>();
  let largest = 1;
  for (const t of trials) {
    const k = packKey(t);
    const c = (counts.get(k) ?? 0) + 1;
    counts.set(k, c);
    largest = Math.max(largest, c);
  }
  return Math.max(defaultShardSize(trials.length), Math.min(packShardCap(pack), largest));
}
