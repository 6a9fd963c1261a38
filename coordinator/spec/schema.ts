import { z } from 'zod';
import type { Param } from '../../proto/index.js';
import { AGGREGATES, SELECTION_METHODS } from '../configurations/index.js';
import { earlyStopSchema } from './early-stop.js';

/** Defaults of a sweep spec's optional keys. */
export const DEFAULT_SEEDS: readonly number[] = [0];
export const DEFAULT_MAX_ATTEMPTS = 3;
/** Largest sweep a coordinator accepts unless configured otherwise (`--max-trials`). */
export const DEFAULT_MAX_TRIALS = 100_000;
/** Largest `pack: K` a spec may ask for. */
export const MAX_PACK = 256;

const KEY = /^[a-z_][a-z0-9_]*$/;
const METRIC = /^[A-Za-z0-9_.\-/]+$/;

export const paramSchema: z.ZodType<Param> = z.lazy(() =>
  z.union([z.number(), z.string(), z.boolean(), z.array(paramSchema)]),
);

const paramKey = z.string().regex(KEY, 'expected a parameter name of lowercase letters, digits and _');

/** A grid axis: a list of values, or `{product: [[...], [...]]}` (vectors, one list per component), or `{linspace: [start, stop, num]}`. */
export const gridAxisSchema = z.union([
  z.array(paramSchema).min(1, 'expected a non-empty list'),
  z.strictObject({ product: z.array(z.array(paramSchema).min(1, 'expected a non-empty list')).min(1, 'expected a non-empty list') }),
  z.strictObject({
    linspace: z.tuple([z.number(), z.number(), z.number().int().min(1).max(100_000)]),
  }),
]);

/**
 * Random search (Bergstra & Bengio 2012): `samples` points drawn from a distribution per key,
 * deterministic given `seed`. Each sample is crossed with the grid and the seeds, like a grid point.
 *
 * Distributions:
 * - `{uniform: [low, high]}`: uniform in [low, high);
 * - `{log_uniform: [low, high]}`: exp(uniform(ln low, ln high)), low > 0 (learning rates, weights);
 * - `{choice: [a, b, ...]}`: one of the values, equally likely;
 * - `integer: true` rounds a uniform or log-uniform draw down (values in [low, high));
 * - `repeat: k` makes the value a list of k copies of one draw (`hidden: [w, w]` from one width).
 */
const rangeOptions = {
  integer: z.boolean().default(false),
  repeat: z.number().int().min(1).max(64).optional(),
};

export const distributionSchema = z.union([
  z.strictObject({ uniform: z.tuple([z.number(), z.number()]), ...rangeOptions }),
  z.strictObject({ log_uniform: z.tuple([z.number(), z.number()]), ...rangeOptions }),
  z.strictObject({
    choice: z.array(paramSchema).min(1, 'expected a non-empty list'),
    repeat: z.number().int().min(1).max(64).optional(),
  }),
], { error: 'expected a distribution: {uniform: [low, high]}, {log_uniform: [low, high]} or {choice: [values]}' });

export type Distribution = z.output<typeof distributionSchema>;

export const MAX_SAMPLES = 100_000;

/** Proposals per batch of an adaptive search unless `search.batch` says otherwise. */
export const DEFAULT_SEARCH_BATCH = 8;
export const MAX_SEARCH_BATCH = 1000;

/**
 * `search:` is either today's random search, `samples` points drawn at submit, or an adaptive
 * search: `algorithm` (random | nsga2 | motpe) proposes `budget` points, `batch` at a time, from the
 * results of the trials before (coordinator/search/ and docs/spec.md#adaptive-search).
 */
export const searchSchema = z
  .strictObject({
    /** Adaptive search algorithm; absent, the search draws `samples` points at submit. */
    algorithm: z.enum(['random', 'nsga2', 'motpe']).optional(),
    /** Number of random points (search without an algorithm). */
    samples: z.number().int().min(1).max(MAX_SAMPLES).optional(),
    /** Points an adaptive search proposes in all. */
    budget: z.number().int().min(1).max(MAX_SAMPLES).optional(),
    /** Points an adaptive search proposes at once. */
    batch: z.number().int().min(1).max(MAX_SEARCH_BATCH).optional(),
    /** Seed of the sampler (not of the trials: those are `seeds`). */
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    space: z.record(paramKey, distributionSchema).refine((s) => Object.keys(s).length > 0, 'expected at least one key to sample'),
  })
  .superRefine((s, ctx) => {
    if (s.algorithm === undefined) {
      if (s.samples === undefined) ctx.addIssue({ code: 'custom', path: ['samples'], message: 'expected the number of points to draw (or an algorithm with a budget)' });
      for (const k of ['budget', 'batch'] as const) {
        if (s[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `${k} belongs to an adaptive search: add algorithm (random, nsga2 or motpe), or use samples` });
      }
    } else {
      if (s.budget === undefined) ctx.addIssue({ code: 'custom', path: ['budget'], message: `expected the number of points algorithm ${s.algorithm} may propose` });
      if (s.samples !== undefined) ctx.addIssue({ code: 'custom', path: ['samples'], message: `an adaptive search (algorithm ${s.algorithm}) proposes budget points; samples is for a search without an algorithm` });
    }
  });

export type Search = z.output<typeof searchSchema>;

export const objectiveSchema = z.strictObject({
  metric: z.string().regex(METRIC, 'expected a metric name such as test/accuracy'),
  goal: z.enum(['max', 'min']),
  /** How a configuration's seeds become one value: mean (default), median, worst or best seed for the goal. */
  aggregate: z.enum(AGGREGATES).default('mean'),
});

export const datasetSchema = z
  .object({ name: z.string().regex(/^[a-z0-9-]+$/, 'expected a dataset name of [a-z0-9-]') })
  .catchall(paramSchema);

export const specSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]+$/, 'expected lowercase letters, digits and -').max(63, 'at most 63 characters'),
  method: z.string().min(1),
  dataset: datasetSchema.optional(),
  params: z.record(paramKey, paramSchema).default({}),
  grid: z.record(paramKey, gridAxisSchema).default({}),
  search: searchSchema.optional(),
  seeds: z.array(z.number().int().min(0).max(2 ** 31 - 1)).min(1, 'expected a non-empty list').default([...DEFAULT_SEEDS]),
  objectives: z.array(objectiveSchema).min(1, 'expected at least one objective'),
  /** DomainBed model selection: which split the frontier ranks configurations on (see configurations/selection.ts). */
  selection: z.enum(SELECTION_METHODS).optional(),
  shard_size: z.number().int().min(1).max(10_000).optional(),
  max_attempts: z.number().int().min(1).max(100).default(DEFAULT_MAX_ATTEMPTS),
  /** Early stopping of trials at rungs (ASHA / MO-ASHA): spec/early-stop.ts. */
  early_stop: earlyStopSchema.optional(),
  /**
   * Packed training (docs/spec.md#pack): `auto` packs on GPU backends only, as many trials as fit;
   * `off` runs one trial at a time; K packs up to K trials with equal pack keys on any backend.
   */
  pack: z.union([z.enum(['auto', 'off']), z.number().int().min(1).max(MAX_PACK)], { error: `expected auto, off or a pack size from 1 to ${MAX_PACK}` }).default('auto'),
});

export type SpecInput = z.input<typeof specSchema>;
export type ParsedSpec = z.output<typeof specSchema>;
export type GridAxis = z.output<typeof gridAxisSchema>;
