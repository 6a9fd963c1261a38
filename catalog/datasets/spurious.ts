import { z } from 'zod';

/**
 * Options of the `spurious` dataset (Sagawa et al. 2020, seeds/interventions-lecture-notes.md):
 * y ∈ {−1, 1}, a ∈ {−1, 1}; core x_c ~ N(y, σ_c²), spurious x_s ~ N(a, σ_s²), noise x_n ~ N(0, σ_n² I_d).
 * In a training environment a = y with probability p (the majority groups); environments differ in p,
 * so the spurious correlation is not invariant while the core one is. Validation and test draw a = y
 * with probability `test_p_maj` (0.5: balanced groups, so leaning on x_s shows as a worst-group gap).
 */
export const spuriousOptions = z.strictObject({
  /** Training rows, split evenly over the environments. */
  n: z.number().int().min(8).max(1_000_000).default(2000),
  n_val: z.number().int().min(4).max(1_000_000).optional(),
  n_test: z.number().int().min(4).max(1_000_000).optional(),
  /** Noise dimensions. */
  d: z.number().int().min(0).max(10_000).default(10),
  /** P(a = y) in each training environment; the pooled majority share is their mean. */
  env_p_maj: z.array(z.number().min(0).max(1)).min(1).max(16).default([0.95, 0.8]),
  test_p_maj: z.number().min(0).max(1).default(0.5),
  sigma_c: z.number().positive().default(1),
  sigma_s: z.number().positive().default(0.1),
  sigma_n: z.number().min(0).default(1),
});

export type SpuriousOptions = z.output<typeof spuriousOptions>;
