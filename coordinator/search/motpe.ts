import type { Rng } from '../../common/random.js';
import { proposalRng, uniformPoint, type AskRequest, type Observation, type SearchAlgorithm } from './algorithm.js';
import { hypervolume, hypervolumeContributions } from './hypervolume.js';
import { nonDominatedSort } from './nondominated.js';
import { ParzenEstimator, UnivariateParzen, type Bandwidth } from './parzen.js';

/** Multi-objective TPE settings; every field has the default shown. */
export interface MotpeOptions {
  /** Finished points before the estimators are used; uniform proposals until then. [10] */
  startup: number;
  /** Candidates drawn from the good-point density per proposal. [24] */
  candidates: number;
  /** Size of the good set for n finished points. [min(⌈0.1·n⌉, 25), Optuna's default] */
  gamma: (n: number) => number;
  /**
   * One joint density over all coordinates (true) or one per coordinate, each coordinate chosen
   * among its own candidates (false, Optuna's default). [false]
   */
  multivariate: boolean;
  /** Bandwidths of the per-coordinate estimators (see {@link Bandwidth}). ['scott'] */
  bandwidth: Bandwidth;
  /**
   * Constant liar (Ginsbourger et al. 2010; Optuna's `constant_liar`): each proposal of a batch
   * counts the batch's earlier proposals as bad points, so a batch spreads out instead of proposing
   * the same optimum of l/g several times; in batches of several proposals the proposals still
   * running (the request's `pending`) count too, so a batch does not land where the batch before
   * it is. With one proposal per batch the running one is not counted: there it only pushed the
   * search off the region it was closing in on (bench/search.ts, docs/benchmarks.md). [true]
   */
  liar: boolean;
}

export const DEFAULT_MOTPE: MotpeOptions = {
  startup: 10,
  candidates: 24,
  gamma: (n) => Math.min(Math.ceil(0.1 * n), 25),
  multivariate: false,
  bandwidth: 'scott',
  liar: true,
};

const EPS = 1e-12;

/**
 * Multi-objective TPE (Ozaki, Tanigaki, Watanabe & Onishi 2020; Optuna's MOTPESampler and its
 * multi-objective TPESampler). The finished points are split in two: the good set, γ(n) points taken
 * front by front from the non-dominated sort, the last front cut by greedy hypervolume subset
 * selection; the rest (failed points included) is the bad set. Each set gives a Parzen estimator over
 * the unit cube, the good one weighting each point by its hypervolume contribution; a proposal is the
 * candidate, among `candidates` drawn from the good density l, with the largest l(x)/g(x).
 * Two choices differ from Optuna 3.1's defaults, each measured in bench/search.ts
 * (docs/benchmarks.md): bandwidths by the normal reference rule instead of neighbour gaps, and the
 * constant liar on.
 */
export function motpe(options: Partial<MotpeOptions> = {}): SearchAlgorithm {
  const o: MotpeOptions = { ...DEFAULT_MOTPE, ...options };
  return {
    name: 'motpe',
    ask(req: AskRequest): number[][] {
      const valid = req.observations.filter((x): x is Observation & { values: readonly number[] } => x.values !== undefined);
      if (valid.length < Math.max(2, o.startup)) {
        return Array.from({ length: req.count }, (_, j) => uniformPoint(proposalRng(req.seed, req.batch, j), req.dims));
      }
      const below = splitBelow(valid.map((x) => x.values), o.gamma(valid.length));
      const goodSet = new Set<Observation>(below.map((i) => valid[i] as Observation));
      const good = below.map((i) => (valid[i] as Observation).u);
      const goodWeights = belowWeights(below.map((i) => valid[i]?.values ?? []));
      // The bad set in proposal order (failed points included), weighted as Optuna's default_weights;
      // with the liar, the running batch (when batches hold several proposals) and the batch's
      // earlier proposals follow it, as the latest points.
      const bad = req.observations.filter((x) => !goodSet.has(x)).map((x) => x.u);
      const lies = o.liar && req.count > 1 ? req.pending : [];
      const out: number[][] = [];
      const badFor = (): readonly (readonly number[])[] => (o.liar ? [...bad, ...lies, ...out] : bad);
      if (!o.multivariate) {
        const ls = Array.from({ length: req.dims }, (_, d) => new UnivariateParzen(good.map((u) => u[d] as number), goodWeights, o.bandwidth));
        let gs: UnivariateParzen[] = [];
        for (let j = 0; j < req.count; j++) {
          if (o.liar || j === 0) {
            const b = badFor();
            const w = defaultWeights(b.length);
            gs = Array.from({ length: req.dims }, (_, d) => new UnivariateParzen(b.map((u) => u[d] as number), w, o.bandwidth));
          }
          const rng = proposalRng(req.seed, req.batch, j);
          out.push(ls.map((l, d) => bestCandidate(l, gs[d] as UnivariateParzen, rng, o.candidates)));
        }
        return out;
      }
      const l = new ParzenEstimator(good, goodWeights, req.dims);
      let g: ParzenEstimator | undefined;
      for (let j = 0; j < req.count; j++) {
        if (o.liar || !g) {
          const b = badFor();
          g = new ParzenEstimator(b, defaultWeights(b.length), req.dims);
        }
        out.push(bestCandidate<number[]>(l, g, proposalRng(req.seed, req.batch, j), o.candidates));
      }
      return out;
    },
  };
}

/** A density to draw candidates from or score them by: a Parzen estimator, on one coordinate or all. */
interface Density<X> {
  sample(rng: Rng): X;
  logPdf(x: X): number;
}

/** Of `candidates` draws from l, the one with the largest l(x)/g(x) (the first on ties). */
function bestCandidate<X>(l: Density<X>, g: Density<X>, rng: Rng, candidates: number): X {
  let best = l.sample(rng);
  let bestScore = l.logPdf(best) - g.logPdf(best);
  for (let c = 1; c < candidates; c++) {
    const x = l.sample(rng);
    const score = l.logPdf(x) - g.logPdf(x);
    if (score > bestScore) {
      best = x;
      bestScore = score;
    }
  }
  return best;
}

/** Optuna's reference point for a set of losses: 1.1 × the worst value (0.9 × when negative; EPS for 0). */
function referenceOf(values: readonly (readonly number[])[]): number[] {
  const dims = (values[0] as readonly number[]).length;
  return Array.from({ length: dims }, (_, d) => {
    const worst = Math.max(...values.map((v) => v[d] as number));
    const r = Math.max(1.1 * worst, 0.9 * worst);
    return r === 0 ? EPS : r;
  });
}

/**
 * Indices of the `count` good points: whole non-dominated fronts, best first, and from the front
 * that does not fit, the points a greedy hypervolume subset selection picks (ties: lower index).
 */
export function splitBelow(values: readonly (readonly number[])[], count: number): number[] {
  const out: number[] = [];
  for (const front of nonDominatedSort(values)) {
    if (out.length + front.length <= count) {
      out.push(...front);
      if (out.length === count) break;
      continue;
    }
    const pts = front.map((i) => values[i] as readonly number[]);
    const ref = referenceOf(pts);
    const chosen: number[] = [];
    const left = [...front.keys()];
    while (out.length + chosen.length < count) {
      const base = hypervolume(chosen.map((k) => pts[k] as readonly number[]), ref);
      let bestK = 0;
      let bestGain = -Infinity;
      left.forEach((k, pos) => {
        const gain = hypervolume([...chosen, k].map((q) => pts[q] as readonly number[]), ref) - base;
        if (gain > bestGain) {
          bestGain = gain;
          bestK = pos;
        }
      });
      chosen.push(left.splice(bestK, 1)[0] as number);
    }
    out.push(...chosen.map((k) => front[k] as number));
    break;
  }
  return out.sort((a, b) => a - b);
}

/** Weights of the good points: each one's hypervolume contribution over the largest (at least EPS). */
function belowWeights(values: readonly (readonly number[])[]): number[] {
  if (values.length <= 1) return values.map(() => 1);
  const c = hypervolumeContributions(values, referenceOf(values));
  const max = Math.max(...c);
  return c.map((x) => (max > 0 ? Math.max(x / max, EPS) : 1));
}

/** Optuna's default_weights: 1 for the 25 latest points, a ramp from 1/n for older ones. */
function defaultWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = n - 25;
  return [...Array.from({ length: ramp }, (_, i) => (ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1))), ...new Array<number>(25).fill(1)];
}
