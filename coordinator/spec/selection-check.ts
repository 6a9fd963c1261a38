import type { Params } from '../../proto/index.js';
import { datasetOptionsSchema } from '../../catalog/index.js';
import { LODO_MIN_ENVIRONMENTS, type SelectionMethod } from '../configurations/index.js';

/** Dataset options that list the training environments, one entry each. */
const ENVIRONMENT_OPTIONS = ['env_p_maj', 'train_envs'] as const;

/** The number of training environments a dataset's options define, defaults filled in; undefined when the data decides (csv). */
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

/**
 * Why a spec's `selection` cannot be used with its data, or null. Leave-one-domain-out holds out
 * each training environment in turn and needs at least three (two left to train on); trials would
 * have to train once per held-out environment, which no method does yet, so it is refused with the
 * reason rather than accepted with an empty frontier.
 */
export function selectionIssue(method: SelectionMethod, dataset: { name: string; options: Params } | undefined): string | null {
  if (method !== 'leave-one-domain-out') return null;
  const envs = trainingEnvironments(dataset);
  if (envs === undefined) return `leave-one-domain-out needs data with at least ${LODO_MIN_ENVIRONMENTS} known training environments; ${dataset ? `dataset "${dataset.name}" does not say how many it has` : 'this method takes no dataset'}`;
  if (envs < LODO_MIN_ENVIRONMENTS) return `leave-one-domain-out needs at least ${LODO_MIN_ENVIRONMENTS} training environments (one held out, two to train on); dataset "${dataset?.name ?? ''}" has ${envs}. Use training-domain`;
  return `leave-one-domain-out: no method trains once per held-out environment yet (no trial reports lodo/ metrics); use training-domain`;
}
