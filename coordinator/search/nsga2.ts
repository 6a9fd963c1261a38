import type { Rng } from '../../common/random.js';
import { proposalRng, uniformPoint, type AskRequest, type Observation, type SearchAlgorithm } from './algorithm.js';
import { rankAndCrowd } from './nondominated.js';

/** NSGA-II's settings; every field has the default shown. */
export interface Nsga2Options {
  /** Parent population: the best points of everything finished, by rank then crowding. [24] */
  population: number;
  /** Probability that a pair of parents is crossed (SBX). [0.9] */
  crossoverProb: number;
  /** SBX distribution index: larger keeps children nearer their parents. [15] */
  etaCrossover: number;
  /** Probability that a coordinate is mutated; undefined means 1/dims. */
  mutationProb: number | undefined;
  /** Polynomial mutation distribution index. [20] */
  etaMutation: number;
}

export const DEFAULT_NSGA2: Nsga2Options = { population: 24, crossoverProb: 0.9, etaCrossover: 15, mutationProb: undefined, etaMutation: 20 };

/**
 * NSGA-II (Deb, Pratap, Agarwal & Meyarivan 2002) as an ask/tell search. The parents of a batch are
 * the `population` best finished points (fast non-dominated sort, then crowding distance), which is
 * the elitist (μ + λ) selection of the original applied to the whole history; a failed point ranks
 * below every other. Children come from binary tournaments (lower rank, then larger crowding),
 * simulated binary crossover and polynomial mutation (Deb & Agrawal 1995), in the unit cube. Until
 * `population` points have finished, proposals are uniform.
 */
export function nsga2(options: Partial<Nsga2Options> = {}): SearchAlgorithm {
  const o: Nsga2Options = { ...DEFAULT_NSGA2, ...options };
  return {
    name: 'nsga2',
    ask(req: AskRequest): number[][] {
      const valid = req.observations.filter((x): x is Observation & { values: readonly number[] } => x.values !== undefined);
      if (valid.length < Math.max(2, o.population)) {
        return Array.from({ length: req.count }, (_, j) => uniformPoint(proposalRng(req.seed, req.batch, j), req.dims));
      }
      const { rank, crowding } = rankAndCrowd(valid.map((x) => x.values));
      const order = [...valid.keys()].sort((a, b) => (rank[a] as number) - (rank[b] as number) || (crowding[b] as number) - (crowding[a] as number) || a - b);
      const parents = order.slice(0, o.population);
      const better = (a: number, b: number): number =>
        (rank[a] as number) < (rank[b] as number) || ((rank[a] as number) === (rank[b] as number) && (crowding[a] as number) > (crowding[b] as number)) ? a : b;
      const pm = o.mutationProb ?? 1 / Math.max(1, req.dims);
      const out: number[][] = [];
      for (let j = 0; j < req.count; j++) {
        const rng = proposalRng(req.seed, req.batch, j);
        const pick = (): number => better(parents[Math.floor(rng.next() * parents.length)] as number, parents[Math.floor(rng.next() * parents.length)] as number);
        const p1 = (valid[pick()] as Observation).u;
        const p2 = (valid[pick()] as Observation).u;
        const child = rng.next() < o.crossoverProb ? sbx(p1, p2, o.etaCrossover, rng) : [...p1];
        out.push(polynomialMutation(child, pm, o.etaMutation, rng));
      }
      return out;
    },
  };
}

/**
 * Simulated binary crossover in [0, 1] (bounded form of Deb & Agrawal): each coordinate crossed with
 * probability ½; one of the two children, chosen at random, is returned.
 */
export function sbx(a: readonly number[], b: readonly number[], eta: number, rng: Rng): number[] {
  const first = rng.next() < 0.5;
  return a.map((x1raw, i) => {
    const x2raw = b[i] as number;
    const u = rng.next();
    if (u >= 0.5 || Math.abs(x1raw - x2raw) < 1e-14) return first ? x1raw : x2raw;
    const y1 = Math.min(x1raw, x2raw);
    const y2 = Math.max(x1raw, x2raw);
    const r = rng.next();
    const spread = (beta: number): number => {
      const alpha = 2 - Math.pow(beta, -(eta + 1));
      return r <= 1 / alpha ? Math.pow(r * alpha, 1 / (eta + 1)) : Math.pow(1 / (2 - r * alpha), 1 / (eta + 1));
    };
    const c1 = 0.5 * (y1 + y2 - spread(1 + (2 * y1) / (y2 - y1)) * (y2 - y1));
    const c2 = 0.5 * (y1 + y2 + spread(1 + (2 * (1 - y2)) / (y2 - y1)) * (y2 - y1));
    const c = first ? c1 : c2;
    return Math.min(Math.max(c, 0), 1);
  });
}

/** Polynomial mutation in [0, 1] (Deb & Goyal 1996, bounded form): each coordinate with probability `prob`. */
export function polynomialMutation(x: readonly number[], prob: number, eta: number, rng: Rng): number[] {
  return x.map((v) => {
    if (rng.next() >= prob) return v;
    const r = rng.next();
    const mpow = 1 / (eta + 1);
    let delta: number;
    if (r < 0.5) {
      const xy = 1 - v;
      delta = Math.pow(2 * r + (1 - 2 * r) * Math.pow(xy, eta + 1), mpow) - 1;
    } else {
      const xy = v;
      delta = 1 - Math.pow(2 * (1 - r) + 2 * (r - 0.5) * Math.pow(xy, eta + 1), mpow);
    }
    return Math.min(Math.max(v + delta, 0), 1);
  });
}
