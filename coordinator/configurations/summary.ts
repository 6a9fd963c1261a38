import { Rng } from '../../common/index.js';
import { studentTQuantile } from './student-t.js';

/** How a confidence interval over seeds is computed. */
export type IntervalMethod = 't' | 'bootstrap';

export interface SummaryOptions {
  /** Coverage of the interval; default `DEFAULT_CONFIDENCE` (0.95). */
  confidence?: number;
  /** `t` (default): mean ± t(1 − α/2, n − 1)·s/√n. `bootstrap`: percentile interval of resampled means. */
  interval?: IntervalMethod;
  /** Resamples of a bootstrap interval; default `DEFAULT_BOOTSTRAP_SAMPLES`. */
  bootstrapSamples?: number;
  /** Seed of the bootstrap's resampling, so an interval is the same every time; default 0. */
  bootstrapSeed?: number;
}

export const DEFAULT_CONFIDENCE = 0.95;
export const DEFAULT_BOOTSTRAP_SAMPLES = 2000;

/** One metric of one configuration over its ok seeds. */
export interface MetricSummary {
  /** Seeds with a finite value. */
  n: number;
  mean: number;
  median: number;
  /** Sample standard deviation (n − 1 in the denominator); null with fewer than two values. */
  std: number | null;
  min: number;
  max: number;
  /** Confidence interval of the mean; null (undefined) with fewer than two values. */
  ci: [number, number] | null;
}

/** Options with defaults filled in and checked; a bad value is a RangeError naming it. */
export function summaryOptions(o: SummaryOptions = {}): Required<SummaryOptions> {
  const confidence = o.confidence ?? DEFAULT_CONFIDENCE;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence: expected a number in (0, 1), got ${confidence}`);
  const bootstrapSamples = o.bootstrapSamples ?? DEFAULT_BOOTSTRAP_SAMPLES;
  if (!Number.isInteger(bootstrapSamples) || bootstrapSamples < 100) throw new RangeError(`bootstrap samples: expected an integer ≥ 100, got ${bootstrapSamples}`);
  return { confidence, interval: o.interval ?? 't', bootstrapSamples, bootstrapSeed: o.bootstrapSeed ?? 0 };
}

export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Sample standard deviation; null for fewer than two values. */
export function sampleStd(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) * (x - m), 0) / (xs.length - 1));
}

/** The q-quantile of sorted values, linear between order statistics (type 7, as numpy's default). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return a + (h - lo) * (b - a);
}

/** Student t interval of the mean of `xs`; null for fewer than two values. */
export function tInterval(xs: readonly number[], confidence = DEFAULT_CONFIDENCE): [number, number] | null {
  const s = sampleStd(xs);
  if (s === null) return null;
  const half = studentTQuantile(1 - (1 - confidence) / 2, xs.length - 1) * (s / Math.sqrt(xs.length));
  const m = mean(xs);
  return [m - half, m + half];
}

/** Percentile bootstrap interval of the mean of `xs`, deterministic given the seed; null for fewer than two values. */
export function bootstrapInterval(xs: readonly number[], confidence: number, samples: number, seed: number): [number, number] | null {
  if (xs.length < 2) return null;
  const rng = new Rng(seed);
  const means = new Float64Array(samples);
  for (let b = 0; b < samples; b++) {
    let sum = 0;
    for (let i = 0; i < xs.length; i++) sum += xs[Math.floor(rng.next() * xs.length)] as number;
    means[b] = sum / xs.length;
  }
  means.sort();
  const sorted = [...means];
  const alpha = 1 - confidence;
  return [quantileSorted(sorted, alpha / 2), quantileSorted(sorted, 1 - alpha / 2)];
}

/** n, mean, median, sample std, range and interval of the finite values; null when there is none. */
export function summarize(values: readonly number[], options: SummaryOptions = {}): MetricSummary | null {
  const o = summaryOptions(options);
  const xs = values.filter((v) => Number.isFinite(v));
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  return {
    n: xs.length,
    mean: mean(xs),
    median: quantileSorted(sorted, 0.5),
    std: sampleStd(xs),
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    ci: o.interval === 'bootstrap' ? bootstrapInterval(xs, o.confidence, o.bootstrapSamples, o.bootstrapSeed) : tInterval(xs, o.confidence),
  };
}
