import { z } from 'zod';
import type { Params } from '../../proto/index.js';
import type { MethodDescriptor } from './types.js';

/** The benchmark problems of the `zdt` method (Zitzler, Deb & Thiele 2000; Deb et al. 2002). */
export const ZDT_PROBLEMS = ['zdt1', 'zdt2', 'zdt3', 'dtlz2'] as const;
export type ZdtProblem = (typeof ZDT_PROBLEMS)[number];

/** Largest number of decision variables `x0 … x{n-1}` a zdt trial accepts. */
export const MAX_ZDT_VARIABLES = 1000;

const VARIABLE = /^x(0|[1-9][0-9]*)$/;
const unit = z.number().min(0, 'expected a value in [0, 1]').max(1, 'expected a value in [0, 1]');

/**
 * `zdt` params: `problem`, `n_obj` (dtlz2 only: 2 or 3 objectives, default 3) and the decision
 * variables `x0 … x{n-1}`, each in [0, 1]; n is the number of x keys, which must be contiguous from
 * x0, at least 2 (and at least n_obj for dtlz2). Any other key is an error.
 */
export const zdtParamsSchema = z
  .object({
    problem: z.enum(ZDT_PROBLEMS),
    n_obj: z.union([z.literal(2), z.literal(3)]).optional(),
  })
  .catchall(unit)
  .superRefine((p, ctx) => {
    const xs = Object.keys(p).filter((k) => k !== 'problem' && k !== 'n_obj');
    for (const k of xs) {
      if (!VARIABLE.test(k)) ctx.addIssue({ code: 'custom', path: [k], message: `unknown zdt param (expected problem, n_obj or x0 … x{n-1})` });
    }
    const n = xs.length;
    for (let i = 0; i < n; i++) {
      if (!(`x${i}` in p)) ctx.addIssue({ code: 'custom', path: [`x${i}`], message: `missing: ${n} variables must be x0 … x${n - 1}` });
    }
    if (n > MAX_ZDT_VARIABLES) ctx.addIssue({ code: 'custom', path: ['x0'], message: `at most ${MAX_ZDT_VARIABLES} variables, got ${n}` });
    const nObj = p.problem === 'dtlz2' ? (p.n_obj ?? 3) : 2;
    if (p.n_obj !== undefined && p.problem !== 'dtlz2') ctx.addIssue({ code: 'custom', path: ['n_obj'], message: `only dtlz2 takes n_obj (${p.problem} has 2 objectives)` });
    if (n < Math.max(2, nObj)) ctx.addIssue({ code: 'custom', path: ['x0'], message: `${p.problem} needs at least ${Math.max(2, nObj)} variables x0 … x${Math.max(2, nObj) - 1}, got ${n}` });
  });

export const zdtParams = zdtParamsSchema as unknown as z.ZodType<Params>;

export const zdtMethod: MethodDescriptor = {
  name: 'zdt',
  summary: 'multi-objective benchmark problems ZDT1/2/3 and DTLZ2 with a known frontier (search benchmarks)',
  datasets: [],
  params: zdtParams,
};
