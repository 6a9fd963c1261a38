import { LODO_METRIC_PREFIX } from '../../proto/index.js';

/**
 * Model selection as DomainBed names it (Gulrajani and Lopez-Paz, 2021): which split the frontier
 * ranks configurations on. Objectives name the metric a result is reported on (`test/accuracy`);
 * the selection method says which metric stands in for it while choosing:
 *
 * - `training-domain`: the validation rows drawn from the training environments (`trainval/`);
 * - `leave-one-domain-out`: each training environment held out in turn (`lodo/`, the mean over the
 *   held-out environments); only for data with at least three training environments;
 * - `oracle`: the test environment itself (`test/`): allowed, but labelled an oracle wherever shown.
 *
 * Without a selection method the objectives are ranked as written.
 */
export const SELECTION_METHODS = ['training-domain', 'leave-one-domain-out', 'oracle'] as const;
export type SelectionMethod = (typeof SELECTION_METHODS)[number];

/** The split prefix each method selects on, in place of `test/`. */
export const SELECTION_SPLIT: Readonly<Record<SelectionMethod, string>> = {
  'training-domain': 'trainval',
  'leave-one-domain-out': LODO_METRIC_PREFIX,
  oracle: 'test',
};

/** Fewest training environments leave-one-domain-out needs (DomainBed: one held out, at least two to train on). */
export const LODO_MIN_ENVIRONMENTS = 3;

const TEST_PREFIX = 'test/';

/** The metric `method` ranks on for an objective on `metric`: a `test/` metric moves to the method's split. */
export function selectionMetric(metric: string, method: SelectionMethod | undefined): string {
  if (!method || !metric.startsWith(TEST_PREFIX)) return metric;
  return `${SELECTION_SPLIT[method]}/${metric.slice(TEST_PREFIX.length)}`;
}

/** Objectives that rank on the test split: test metrics with no selection, or any with `oracle`. */
export function testObjectives(objectives: readonly { metric: string }[], method: SelectionMethod | undefined): string[] {
  if (method !== undefined && method !== 'oracle') return [];
  return objectives.map((o) => o.metric).filter((m) => m.startsWith(TEST_PREFIX));
}

/**
 * What to say about a sweep's selection protocol: null when it selects off the test split; a
 * warning when test metrics are ranked with no `selection`, a label when `oracle` says so.
 */
export function selectionNote(objectives: readonly { metric: string }[], method: SelectionMethod | undefined): string | null {
  const test = testObjectives(objectives, method);
  if (test.length === 0) return null;
  if (method === 'oracle') return `oracle selection: configurations are chosen on the test environment (${test.join(', ')}); figures chosen this way are optimistic`;
  return `objectives ${test.join(', ')} are test metrics and the spec names no selection: the frontier chooses hyperparameters on the test split. Add \`selection: training-domain\` to choose on validation rows of the training environments and report test beside, or \`selection: oracle\` to say that test is used`;
}

/** `selection: training-domain (ranked on trainval/…, test reported beside)`: the protocol line of outputs. */
export function selectionLabel(method: SelectionMethod | undefined): string {
  if (!method) return 'selection: none (objectives ranked as written)';
  if (method === 'oracle') return 'selection: oracle (test environment; optimistic)';
  return `selection: ${method} (ranked on ${SELECTION_SPLIT[method]}/ metrics, test reported beside)`;
}
