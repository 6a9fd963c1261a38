import type { Params } from '../../proto/index.js';
import { trainingEnvironments, type MethodDescriptor } from '../../catalog/index.js';
import { LODO_MIN_ENVIRONMENTS, type SelectionMethod } from '../configurations/index.js';

/**
 * Why a spec's `selection` cannot be used with its method and data, or null. Leave-one-domain-out
 * holds out each training environment in turn and needs at least three (two left to train on), and
 * a method whose worker trains once per held-out environment (MethodDescriptor.leaveOneDomainOut);
 * each trial then trains E + 1 times.
 */
export function selectionIssue(selection: SelectionMethod, method: Pick<MethodDescriptor, 'name' | 'leaveOneDomainOut'>, dataset: { name: string; options: Params } | undefined): string | null {
  if (selection !== 'leave-one-domain-out') return null;
  if (!method.leaveOneDomainOut) return `leave-one-domain-out: method "${method.name}" does not train per held-out environment (methods that do: those training on environments, e.g. erm, irm, vrex); use training-domain`;
  const envs = trainingEnvironments(dataset);
  if (envs === undefined) return `leave-one-domain-out needs data with at least ${LODO_MIN_ENVIRONMENTS} known training environments; ${dataset ? `dataset "${dataset.name}" does not say how many it has` : 'this method takes no dataset'}`;
  if (envs < LODO_MIN_ENVIRONMENTS) return `leave-one-domain-out needs at least ${LODO_MIN_ENVIRONMENTS} training environments (one held out, two to train on); dataset "${dataset?.name ?? ''}" has ${envs}. Use training-domain`;
  return null;
}

/** How many models one trial trains: E + 1 under leave-one-domain-out with E training environments, else 1. */
export function trainingsPerTrial(spec: { selection?: SelectionMethod; dataset?: { name: string; options: Params } }): number {
  if (spec.selection !== 'leave-one-domain-out') return 1;
  return (trainingEnvironments(spec.dataset) ?? 0) + 1;
}
