import type { ZdtProblem } from '../../catalog/methods/zdt.js';

/**
 * The objective values (all minimised) of a benchmark problem at x ∈ [0, 1]^n:
 * - zdt1: f1 = x0, g = 1 + 9·mean(x1 … x{n-1}), f2 = g·(1 − √(f1/g)); convex front f2 = 1 − √f1;
 * - zdt2: as zdt1 with f2 = g·(1 − (f1/g)²); concave front f2 = 1 − f1²;
 * - zdt3: as zdt1 with f2 = g·(1 − √(f1/g) − (f1/g)·sin(10π f1)); a front in five pieces;
 * - dtlz2 (m objectives): g = Σ_{i ≥ m−1} (x_i − ½)², f_j = (1 + g)·Π cos(x_k π/2)·sin(…); the front
 *   is the positive part of the unit sphere, reached where x_{m−1} … x_{n−1} = ½.
 * Zitzler, Deb & Thiele (2000), Deb, Thiele, Laumanns & Zitzler (2002).
 */
export function zdtObjectives(problem: ZdtProblem, x: readonly number[], nObj = 3): number[] {
  const n = x.length;
  const x0 = x[0] ?? 0;
  if (problem === 'dtlz2') {
    const m = nObj;
    let g = 0;
    for (let i = m - 1; i < n; i++) g += ((x[i] ?? 0) - 0.5) ** 2;
    const f: number[] = [];
    for (let j = 0; j < m; j++) {
      let v = 1 + g;
      for (let k = 0; k < m - 1 - j; k++) v *= Math.cos(((x[k] ?? 0) * Math.PI) / 2);
      if (j > 0) v *= Math.sin(((x[m - 1 - j] ?? 0) * Math.PI) / 2);
      f.push(v);
    }
    return f;
  }
  let tail = 0;
  for (let i = 1; i < n; i++) tail += x[i] ?? 0;
  const g = 1 + (9 * tail) / (n - 1);
  const r = x0 / g;
  const h = problem === 'zdt1' ? 1 - Math.sqrt(r) : problem === 'zdt2' ? 1 - r * r : 1 - Math.sqrt(r) - r * Math.sin(10 * Math.PI * x0);
  return [x0, g * h];
}

/** The number of objectives of a problem (2, or n_obj for dtlz2). */
export function zdtObjectiveCount(problem: ZdtProblem, nObj = 3): number {
  return problem === 'dtlz2' ? nObj : 2;
}

/**
 * Points of the true Pareto front: `resolution` evenly spaced values of each free position variable
 * with the distance variables at their optimum (0 for zdt, ½ for dtlz2); for zdt3 the dominated
 * parts of the curve are included (a frontier filter removes them).
 */
export function zdtTrueFront(problem: ZdtProblem, resolution: number, nObj = 3): number[][] {
  const out: number[][] = [];
  const n = problem === 'dtlz2' ? nObj + 1 : 2;
  const fill = problem === 'dtlz2' ? 0.5 : 0;
  const free = problem === 'dtlz2' ? nObj - 1 : 1;
  const idx = new Array<number>(free).fill(0);
  for (;;) {
    const x = new Array<number>(n).fill(fill);
    for (let k = 0; k < free; k++) x[k] = (idx[k] ?? 0) / (resolution - 1);
    out.push(zdtObjectives(problem, x, nObj));
    let k = 0;
    while (k < free && (idx[k] = (idx[k] ?? 0) + 1) === resolution) idx[k++] = 0;
    if (k === free) return out;
  }
}
