import type { Rng } from '../../common/random.js';

/**
 * A multivariate Parzen estimator on the unit cube: a weighted mixture of products of Gaussians
 * truncated to [0, 1], one component per observed point plus a broad prior component (mean ½, σ 1),
 * as in TPE (Bergstra et al. 2011; Optuna's `multivariate=True`). Bandwidth: Scott's rule
 * 0.2·n^(−1/(d+4)), clipped below at 1/min(100, n+1) ("magic clip").
 */
export class ParzenEstimator {
  private readonly mus: readonly (readonly number[])[];
  private readonly logWeights: readonly number[];
  private readonly cumulative: readonly number[];
  private readonly sigma: number;
  private readonly dims: number;
  private readonly logNorm: readonly (readonly number[])[];

  constructor(points: readonly (readonly number[])[], weights: readonly number[], dims: number, priorWeight = 1) {
    this.dims = dims;
    const n = points.length;
    this.mus = [...points, new Array<number>(dims).fill(0.5)];
    const w = [...weights, priorWeight];
    const total = w.reduce((s, x) => s + x, 0);
    this.logWeights = w.map((x) => Math.log(x / total));
    let acc = 0;
    this.cumulative = w.map((x) => (acc += x / total));
    const scott = 0.2 * Math.pow(Math.max(n, 1), -1 / (dims + 4));
    this.sigma = Math.min(1, Math.max(scott, 1 / Math.min(100, n + 1)));
    // The prior component keeps σ = 1; each component's log mass inside [0, 1] per dimension.
    this.logNorm = this.mus.map((mu, k) => mu.map((m) => Math.log(Math.max(1e-300, Phi((1 - m) / this.sigmaOf(k)) - Phi(-m / this.sigmaOf(k))))));
  }

  private sigmaOf(k: number): number {
    return k === this.mus.length - 1 ? 1 : this.sigma;
  }

  /** One draw: a component by weight, then each coordinate from its truncated Gaussian (rejection). */
  sample(rng: Rng): number[] {
    const r = rng.next();
    let k = this.cumulative.findIndex((c) => r < c);
    if (k < 0) k = this.mus.length - 1;
    const mu = this.mus[k] as readonly number[];
    const s = this.sigmaOf(k);
    return mu.map((m) => {
      for (let tries = 0; tries < 1000; tries++) {
        const x = m + s * rng.normal();
        if (x >= 0 && x < 1) return x;
      }
      return Math.min(Math.max(m, 0), 1 - Number.EPSILON / 2);
    });
  }

  /** Log density at x. */
  logPdf(x: readonly number[]): number {
    const terms = this.mus.map((mu, k) => {
      const s = this.sigmaOf(k);
      let lp = this.logWeights[k] as number;
      const norm = this.logNorm[k] as readonly number[];
      for (let d = 0; d < this.dims; d++) {
        const z = ((x[d] as number) - (mu[d] as number)) / s;
        lp += -0.5 * z * z - Math.log(s) - 0.5 * Math.log(2 * Math.PI) - (norm[d] as number);
      }
      return lp;
    });
    const max = Math.max(...terms);
    return max + Math.log(terms.reduce((acc, t) => acc + Math.exp(t - max), 0));
  }
}

/** The standard normal CDF. */
export function Phi(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Complementary error function, relative error < 1.2e-7 everywhere (Numerical Recipes' erfcc). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/**
 * How a one-dimensional Parzen estimator picks its bandwidths.
 * - `scott`: one σ for all observed values, the normal reference rule 1.06·s·n^(−1/5) (s the values'
 *   standard deviation; Silverman 1986, Scott 1992), so the density is smooth where values crowd;
 * - `neighbors`: each value's σ is the larger gap to its neighbours among the sorted values and the
 *   prior's mean, the outermost ones using their one gap (hyperopt's and Optuna's rule).
 * Either way σ is clipped to [1/min(100, n+1), 1] ("magic clip").
 */
export type Bandwidth = 'scott' | 'neighbors';

/**
 * A one-dimensional Parzen estimator on [0, 1], as TPE builds one per parameter by default: a
 * truncated Gaussian per observed value plus the prior (mean ½, σ 1), each normalised on [0, 1]
 * (its density integrates to 1 whatever its σ). Bandwidths: see {@link Bandwidth}.
 */
export class UnivariateParzen {
  private readonly mus: readonly number[];
  /** Each component's σ, the prior's last. */
  readonly sigmas: readonly number[];
  private readonly logWeights: readonly number[];
  private readonly cumulative: readonly number[];
  private readonly logNorm: readonly number[];

  constructor(values: readonly number[], weights: readonly number[], bandwidth: Bandwidth = 'scott') {
    const n = values.length;
    const mus = [...values, 0.5];
    const sigmas = new Array<number>(mus.length).fill(1);
    const minSigma = 1 / Math.min(100, n + 1);
    const clip = (s: number): number => Math.min(1, Math.max(minSigma, s));
    if (bandwidth === 'scott') {
      const mean = values.reduce((s, x) => s + x, 0) / Math.max(n, 1);
      const sd = Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(n, 1));
      sigmas.fill(clip(1.06 * sd * Math.pow(Math.max(n, 1), -0.2)), 0, n);
    } else {
      const order = [...mus.keys()].sort((a, b) => (mus[a] as number) - (mus[b] as number) || a - b);
      order.forEach((k, pos) => {
        const left = pos > 0 ? (mus[k] as number) - (mus[order[pos - 1] as number] as number) : -Infinity;
        const right = pos < order.length - 1 ? (mus[order[pos + 1] as number] as number) - (mus[k] as number) : -Infinity;
        const gap = Math.max(left, right);
        sigmas[k] = clip(Number.isFinite(gap) ? gap : 1);
      });
    }
    sigmas[n] = 1;
    this.mus = mus;
    this.sigmas = sigmas;
    const w = [...weights, 1];
    const total = w.reduce((s, x) => s + x, 0);
    this.logWeights = w.map((x) => Math.log(x / total));
    let acc = 0;
    this.cumulative = w.map((x) => (acc += x / total));
    this.logNorm = mus.map((m, k) => Math.log(Math.max(1e-300, Phi((1 - m) / (sigmas[k] as number)) - Phi(-m / (sigmas[k] as number)))));
  }

  sample(rng: Rng): number {
    const r = rng.next();
    let k = this.cumulative.findIndex((c) => r < c);
    if (k < 0) k = this.mus.length - 1;
    const m = this.mus[k] as number;
    const s = this.sigmas[k] as number;
    for (let tries = 0; tries < 1000; tries++) {
      const x = m + s * rng.normal();
      if (x >= 0 && x < 1) return x;
    }
    return Math.min(Math.max(m, 0), 1 - Number.EPSILON / 2);
  }

  logPdf(x: number): number {
    const terms = this.mus.map((m, k) => {
      const s = this.sigmas[k] as number;
      const z = (x - m) / s;
      return (this.logWeights[k] as number) - 0.5 * z * z - Math.log(s) - 0.5 * Math.log(2 * Math.PI) - (this.logNorm[k] as number);
    });
    const max = Math.max(...terms);
    return max + Math.log(terms.reduce((acc, t) => acc + Math.exp(t - max), 0));
  }
}
