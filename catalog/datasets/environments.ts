import type { Params } from '../../proto/index.js';
import { datasetOptionsSchema } from './index.js';

/** Dataset options that list the training environments, one entry each. */
const ENVIRONMENT_OPTIONS = ['env_p_maj', 'train_envs'] as const;

/**
 * The number of training environments a dataset's options define, defaults filled in; undefined
 * when the data decides (csv) or the options do not parse. The coordinator checks
 * `selection: leave-one-domain-out` with it, the worker counts its folds with it.
 */
export function trainingEnvironments(dataset: { name: string; options: Params } | undefined): number | undefined {
  if (!dataset) return undefined;
  const parsed = datasetOptionsSchema(dataset.name)?.safeParse(dataset.options);
  const options: unknown = parsed?.success ? parsed.data : dataset.options;
  if (options === null || typeof options !== 'object') return undefined;
  for (const key of ENVIRONMENT_OPTIONS) {
    const v: unknown = Object.getOwnPropertyDescriptor(options, key)?.value;
    if (Array.isArray(v)) return v.length;
  }
  return undefined;
}
