import { mean, sampleStd, summaryOptions, tInterval, bootstrapInterval, type SummaryOptions } from './summary.js';

/** The difference of a configuration from a baseline on one metric, over the seeds both have. */
export interface PairedDifference {
  /** Seeds with a finite value in both. */
  seeds: number[];
  n: number;
  /** Mean of the per-seed differences (configuration − baseline). */
  mean: number | null;
  std: number | null;
  /** Interval of the mean difference (paired: over per-seed differences); null with fewer than two shared seeds. */
  ci: [number, number] | null;
}

/**
 * Paired difference `value − baseline` per shared seed: a seed's noise (its data draw, its
 * initialisation) is common to both, so the interval is of the per-seed differences, narrower than
 * comparing two independent means when seeds agree. Seeds only one side has are left out (and
 * counted by the caller).
 */
export function pairedDifference(values: ReadonlyMap<number, number>, baseline: ReadonlyMap<number, number>, options: SummaryOptions = {}): PairedDifference {
  const o = summaryOptions(options);
  const pairs = [...values]
    .flatMap(([seed, v]) => {
      const b = baseline.get(seed);
      return b !== undefined && Number.isFinite(v) && Number.isFinite(b) ? [{ seed, d: v - b }] : [];
    })
    .sort((a, b) => a.seed - b.seed);
  const seeds = pairs.map((p) => p.seed);
  const d = pairs.map((p) => p.d);
  if (d.length === 0) return { seeds, n: 0, mean: null, std: null, ci: null };
  return {
    seeds,
    n: d.length,
    mean: mean(d),
    std: sampleStd(d),
    ci: o.interval === 'bootstrap' ? bootstrapInterval(d, o.confidence, o.bootstrapSamples, o.bootstrapSeed) : tInterval(d, o.confidence),
  };
}
