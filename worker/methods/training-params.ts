import { z } from 'zod';
import type { Params } from '../../proto/index.js';

/** Params shared by the MLP-training methods, with their defaults. */
export const trainingParamShape = {
  steps: z.number().int().min(1).max(1_000_000).default(300),
  lr: z.number().positive().max(10).default(0.001),
  l2: z.number().min(0).default(0.001),
  hidden: z.array(z.number().int().min(1).max(65_536)).max(16).default([64]),
};

export const ermParams = z.strictObject(trainingParamShape);

export const irmParams = z.strictObject({
  ...trainingParamShape,
  penalty_weight: z.number().min(0).default(100),
  penalty_anneal_iters: z.number().int().min(0).default(100),
});

export type ErmParams = z.output<typeof ermParams>;
export type IrmParams = z.output<typeof irmParams>;

/** The schemas as the method registry sees them (their outputs are plain params). */
export const asParams = (s: z.ZodType): z.ZodType<Params> => s as unknown as z.ZodType<Params>;
