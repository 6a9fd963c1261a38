import type { z } from 'zod';
import { canonicalJson, type Params } from '../../proto/index.js';

/**
 * Pack keys of the MLP-training methods (MethodDescriptor.packKey). Trials pack when they train on
 * the same rows with the same architecture and step count: every param the packed trainer cannot
 * keep per trial is in the key, and so is the seed, because every dataset draws or shuffles its
 * rows with the trial seed (worker/datasets): trials of different seeds never share training data.
 */

/** Params the packed trainer keeps per trial for every MLP method: each trial's own Adam learning rate and L2. */
export const PER_TRIAL_TRAINING = ['lr', 'l2'] as const;
/** The IRM-family penalty schedule, kept per trial. */
export const PER_TRIAL_PENALTY = [...PER_TRIAL_TRAINING, 'penalty_weight', 'penalty_anneal_iters'] as const;

/** `params` with their defaults filled in by `schema` (the raw params when they do not parse: the param check reports that). */
function withDefaults(schema: z.ZodType<Params>, params: Params): Params {
  const r = schema.safeParse(params);
  return r.success ? r.data : params;
}

/** A pack key over every param but `perTrial`, and the seed. */
export function packKeyExcept(schema: z.ZodType<Params>, perTrial: readonly string[]): (params: Params, seed: number) => string {
  const skip = new Set(perTrial);
  return (params, seed) => {
    const shared = Object.entries(withDefaults(schema, params)).filter(([k]) => !skip.has(k));
    return canonicalJson({ params: Object.fromEntries(shared), seed });
  };
}

/**
 * `group-balancing`: strategies `none` and `reweight` train on every training row (reweighting is a
 * per-trial weight vector), so they pack together whatever their `balance`; `subsample` trains on
 * rows drawn by the seed and `balance`, so its trials pack only with trials of the same draw.
 */
export function groupBalancingPackKey(schema: z.ZodType<Params>): (params: Params, seed: number) => string {
  const allRows = packKeyExcept(schema, [...PER_TRIAL_TRAINING, 'strategy', 'balance']);
  const drawn = packKeyExcept(schema, PER_TRIAL_TRAINING);
  return (params, seed) => (withDefaults(schema, params).strategy === 'subsample' ? `subsample:${drawn(params, seed)}` : `all-rows:${allRows(params, seed)}`);
}
