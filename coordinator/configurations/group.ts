import { createHash } from 'node:crypto';
import { canonicalJson, type Params } from '../../proto/index.js';

/** What grouping needs of a trial result: a results.jsonl row, a report trial, a gRPC result converted. */
export interface TrialLike {
  trial_id: string;
  params: Params;
  seed: number;
  status: 'ok' | 'failed' | 'pruned';
  metrics: Readonly<Record<string, number>>;
  error?: string;
}

/** Trials that differ only in their seed: one point of the grid (or one random-search sample). */
export interface Configuration<T extends TrialLike = TrialLike> {
  /** `c` and 12 hex digits of a hash of the canonical params: stable across runs and files. */
  id: string;
  params: Params;
  /** Every trial of the configuration, ok and failed, by seed. */
  trials: T[];
  /** The ok trials, by seed: what statistics are computed over. */
  ok: T[];
  /** The failed trials, by seed: counted and shown, never averaged. (Pruned trials, stopped early, are in `trials` only.) */
  failed: T[];
}

/** The id of the configuration of `params`. */
export function configurationId(params: Params): string {
  return `c${createHash('sha256').update(canonicalJson(params)).digest('hex').slice(0, 12)}`;
}

/**
 * Groups trials into configurations, in order of first appearance; within one, trials are sorted by
 * seed. A second row for the same params and seed (a results file concatenated twice) is ignored:
 * the first one stands, as the coordinator records a trial once.
 */
export function groupConfigurations<T extends TrialLike>(trials: readonly T[]): Configuration<T>[] {
  const byKey = new Map<string, { params: Params; trials: T[]; seeds: Set<number> }>();
  for (const t of trials) {
    const key = canonicalJson(t.params);
    let c = byKey.get(key);
    if (!c) {
      c = { params: t.params, trials: [], seeds: new Set() };
      byKey.set(key, c);
    }
    if (c.seeds.has(t.seed)) continue;
    c.seeds.add(t.seed);
    c.trials.push(t);
  }
  return [...byKey.values()].map((c) => {
    const sorted = [...c.trials].sort((a, b) => a.seed - b.seed);
    return { id: configurationId(c.params), params: c.params, trials: sorted, ok: sorted.filter((t) => t.status === 'ok'), failed: sorted.filter((t) => t.status === 'failed') };
  });
}

/** The values of `metric` over a configuration's ok seeds, by seed; NaN where a seed lacks it. */
export function seedValues(c: Configuration, metric: string): { seed: number; value: number }[] {
  return c.ok.map((t) => ({ seed: t.seed, value: t.metrics[metric] ?? Number.NaN }));
}

/** Params that take more than one value across the configurations: what tells them apart. */
export function varyingParams(configs: readonly { params: Params }[]): string[] {
  const keys = [...new Set(configs.flatMap((c) => Object.keys(c.params)))].sort();
  return keys.filter((k) => new Set(configs.map((c) => canonicalJson(c.params[k] ?? null))).size > 1);
}
