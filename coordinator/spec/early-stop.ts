import { z } from 'zod';
import type { MethodDescriptor } from '../../catalog/index.js';
import { selectionMetric, type SelectionMethod } from '../configurations/index.js';
import { SpecError } from '../errors.js';

const METRIC = /^[A-Za-z0-9_.\-/]+$/;
/** η unless the spec says otherwise (Li et al. 2020; Optuna's SuccessiveHalvingPruner). */
export const DEFAULT_REDUCTION_FACTOR = 3;
export const MAX_RUNGS = 32;

const goal = z.enum(['max', 'min']);

/**
 * `early_stop:` (docs/spec.md#early-stopping): ASHA, or MO-ASHA with several objectives. `metric`
 * (with `goal` when it is not one of the spec's objectives) or `objectives`; absent, the spec's
 * objectives (a `test/` one moved to the split `selection` chooses on).
 */
export const earlyStopSchema = z
  .strictObject({
    algorithm: z.literal('asha', { error: 'expected asha' }),
    metric: z.string().regex(METRIC, 'expected a metric name such as val/accuracy').optional(),
    goal: goal.optional(),
    objectives: z.array(z.strictObject({ metric: z.string().regex(METRIC, 'expected a metric name such as val/accuracy'), goal })).min(1, 'expected at least one objective').optional(),
    min_steps: z.number().int().min(1).max(1_000_000),
    reduction_factor: z.number().int().min(2).max(100).default(DEFAULT_REDUCTION_FACTOR),
    max_rungs: z.number().int().min(1).max(MAX_RUNGS).optional(),
  })
  .superRefine((e, ctx) => {
    if (e.metric !== undefined && e.objectives !== undefined) ctx.addIssue({ code: 'custom', path: ['objectives'], message: 'give metric (one) or objectives (several), not both' });
    if (e.goal !== undefined && e.metric === undefined) ctx.addIssue({ code: 'custom', path: ['goal'], message: 'goal goes with metric' });
  });

export type EarlyStopInput = z.output<typeof earlyStopSchema>;

/** An early-stopping rule as validated: the ranked metrics resolved, defaults filled in. */
export interface EarlyStopSpec {
  algorithm: 'asha';
  objectives: { metric: string; goal: 'max' | 'min' }[];
  minSteps: number;
  reductionFactor: number;
  maxRungs?: number;
  /** Steps between a built-in training method's progress reports (its `eval_every` param). */
  evalEvery?: number;
}

/** Prefixes of the metrics a built-in training method reports while it trains. */
export const PROGRESS_SPLITS = ['val/', 'trainval/'] as const;

/** Whether a method's params take `eval_every` (the MLP-training methods). */
export function takesEvalEvery(method: MethodDescriptor): boolean {
  const schema: unknown = method.params;
  return schema instanceof z.ZodObject && 'eval_every' in schema.shape;
}

/**
 * Resolves `early_stop` against the spec: which metrics are ranked, whether the method reports
 * progress at all (the MLP-training methods through `eval_every`, command trials through their
 * progress lines), and the warnings: a test metric ranked, or one a built-in method does not report
 * while training. Throws SpecError naming the path.
 */
export function resolveEarlyStop(
  e: EarlyStopInput,
  spec: { objectives: readonly { metric: string; goal: 'max' | 'min' }[]; selection?: SelectionMethod; params: Readonly<Record<string, unknown>> },
  method: MethodDescriptor,
  warnings: string[],
): EarlyStopSpec {
  const training = takesEvalEvery(method);
  if (!training && method.name !== 'command') {
    throw SpecError.at('early_stop', `method "${method.name}" reports no progress while it runs; early stopping needs a training method (erm, irm, ... with eval_every) or command trials (progress lines)`);
  }
  let objectives: EarlyStopSpec['objectives'];
  if (e.objectives) objectives = e.objectives;
  else if (e.metric !== undefined) {
    const g = e.goal ?? spec.objectives.find((o) => o.metric === e.metric)?.goal;
    if (!g) throw SpecError.at('early_stop.goal', `expected max or min: metric ${e.metric} is not one of the objectives, so its goal is not known`);
    objectives = [{ metric: e.metric, goal: g }];
  } else objectives = spec.objectives.map((o) => ({ metric: selectionMetric(o.metric, spec.selection), goal: o.goal }));
  const test = objectives.filter((o) => o.metric.startsWith('test/')).map((o) => o.metric);
  if (test.length > 0) warnings.push(`early_stop ranks test metrics (${test.join(', ')}): trials are stopped on the test split. Rank validation metrics (val/ or trainval/, e.g. with selection: training-domain)`);
  let evalEvery: number | undefined;
  if (training) {
    const unreported = objectives.filter((o) => !PROGRESS_SPLITS.some((p) => o.metric.startsWith(p))).map((o) => o.metric);
    if (unreported.length > 0) warnings.push(`early_stop ranks ${unreported.join(', ')}, which method "${method.name}" does not report while training (only ${PROGRESS_SPLITS.join(' and ')} metrics): those trials are never stopped`);
    const given = spec.params['eval_every'];
    evalEvery = typeof given === 'number' && given > 0 ? given : e.min_steps;
    if (evalEvery > e.min_steps) warnings.push(`params.eval_every ${evalEvery} is above early_stop.min_steps ${e.min_steps}: a trial reports at the first rung only from step ${evalEvery}`);
  }
  return {
    algorithm: 'asha',
    objectives,
    minSteps: e.min_steps,
    reductionFactor: e.reduction_factor,
    ...(e.max_rungs !== undefined ? { maxRungs: e.max_rungs } : {}),
    ...(evalEvery !== undefined ? { evalEvery } : {}),
  };
}
