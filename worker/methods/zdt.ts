import { zdtParamsSchema } from '../../catalog/methods/zdt.js';
import type { MethodImpl } from './types.js';
import { withParams } from './method-params.js';
import { zdtObjectives } from './zdt-problems.js';

/**
 * The `zdt` method (catalog/methods/zdt.ts describes its params): evaluates the benchmark problem at
 * x0 … x{n-1} and reports `f1`, `f2` (and `f3` … for dtlz2), all to be minimised. No training, no
 * dataset, no randomness: the seed does not change the values.
 */
export const zdtImpl: MethodImpl = withParams(zdtParamsSchema, (p, input) => {
  const n = Object.keys(input.params).filter((k) => k.startsWith('x')).length;
  const x = Array.from({ length: n }, (_, i) => {
    const v = p[`x${i}`];
    return typeof v === 'number' ? v : 0;
  });
  const f = zdtObjectives(p.problem, x, p.n_obj ?? 3);
  const metrics: Record<string, number> = {};
  f.forEach((v, i) => (metrics[`f${i + 1}`] = v));
  return Promise.resolve({ metrics, groupMetrics: [] });
});
