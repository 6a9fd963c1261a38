import { z } from 'zod';
import { trainingParamShape } from './training-params.js';

export const steerParams = z.strictObject({
  ...trainingParamShape,
  /** Steering strength t in [0, 1]: x ↦ x + t·(T_g(x) − x); 1 moves every group onto the ideal Gaussian. */
  strength: z.number().min(0).max(1).default(1),
  /** Eigenvalue floor of the covariances, relative to their mean variance. */
  ridge: z.number().min(0).max(1).default(1e-6),
});

export const reprogramParams = z.strictObject({
  ...trainingParamShape,
  /** λ: weight of the adversarial fairness term. */
  lambda: z.number().min(0).max(1000).default(1),
  /** Steps of the trigger / discriminator min-max (the base model uses `steps`). */
  trigger_steps: z.number().int().min(1).max(1_000_000).default(200),
  trigger_lr: z.number().positive().max(10).default(0.01),
  disc_hidden: z.array(z.number().int().min(1).max(4096)).max(4).default([16]),
});

export type SteerParams = z.output<typeof steerParams>;
export type ReprogramParams = z.output<typeof reprogramParams>;
