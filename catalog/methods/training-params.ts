import { z } from 'zod';
import type { Params } from '../../proto/index.js';
import { trainingMemory } from './method-memory.js';

/** Params shared by the MLP-training methods, with their defaults. */
export const trainingParamShape = {
  steps: z.number().int().min(1).max(1_000_000).default(300),
  lr: z.number().positive().max(10).default(0.001),
  l2: z.number().min(0).default(0.001),
  hidden: z.array(z.number().int().min(1).max(65_536)).max(16).default([64]),
  /** Steps between progress reports (validation metrics of the current model, for early_stop); 0: none. */
  eval_every: z.number().int().min(0).max(1_000_000).default(0),
};

export const ermParams = z.strictObject(trainingParamShape);

export const irmParams = z.strictObject({
  ...trainingParamShape,
  penalty_weight: z.number().min(0).default(100),
  penalty_anneal_iters: z.number().int().min(0).default(100),
});

export const vrexParams = irmParams;

export const irmExtrapolatedParams = z.strictObject({
  ...irmParams.shape,
  /** v: (1−β)·mean + β·variance of the environments' IRMv1 penalties; mm: (1 − α·m)·max + α·sum. */
  variant: z.enum(['v', 'mm']).default('v'),
  beta: z.number().min(0).max(1).default(0.5),
  /** α ≤ 0 extrapolates beyond the convex hull of the environments. */
  alpha: z.number().max(0).min(-100).default(-0.5),
});

export const ibIrmParams = z.strictObject({
  ...irmParams.shape,
  ib_lambda: z.number().min(0).default(0.1),
  ib_penalty_anneal_iters: z.number().int().min(0).default(0),
});

export const balancingParams = z.strictObject({
  ...trainingParamShape,
  /** Balance the (label, attribute) groups, or the classes. */
  balance: z.enum(['group', 'class']).default('group'),
});

export const groupBalancingParams = z.strictObject({
  ...balancingParams.shape,
  /** none is plain ERM: one spec compares ERM, reweighting and subsampling on one frontier. */
  strategy: z.enum(['none', 'reweight', 'subsample']).default('reweight'),
});

/** The memory estimate of the MLP-training methods, from their `hidden`. */
export const trainingMemoryEstimate = trainingMemory(trainingParamShape.hidden);

export type ErmParams = z.output<typeof ermParams>;
export type GroupBalancingParams = z.output<typeof groupBalancingParams>;
export type IrmParams = z.output<typeof irmParams>;
export type IrmExtrapolatedParams = z.output<typeof irmExtrapolatedParams>;
export type IbIrmParams = z.output<typeof ibIrmParams>;
export type BalancingParams = z.output<typeof balancingParams>;

/** Datasets every MLP-training method accepts. */
export const TRAINING_DATASETS: readonly string[] = ['spurious', 'colored-mnist', 'csv', 'toxicity'];

/** The schemas as the method registry sees them (their outputs are plain params). */
export const asParams = (s: z.ZodType): z.ZodType<Params> => s as unknown as z.ZodType<Params>;
