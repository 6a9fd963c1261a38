import { Goal, toParamMap, toParamValue, type Distribution as DistributionMessage, type SweepSpec } from '../../proto/index.js';
import type { Distribution, ValidatedSpec } from '../spec/index.js';

function toDistributionMessage(d: Distribution): DistributionMessage {
  const repeat = d.repeat ?? 0;
  if ('choice' in d) return { kind: { $case: 'choice', value: { values: d.choice.map(toParamValue) } }, integer: false, repeat };
  if ('log_uniform' in d) return { kind: { $case: 'logUniform', value: { low: d.log_uniform[0], high: d.log_uniform[1] } }, integer: d.integer, repeat };
  return { kind: { $case: 'uniform', value: { low: d.uniform[0], high: d.uniform[1] } }, integer: d.integer, repeat };
}

/** The protobuf form of a validated spec (grid axes materialised). */
export function toSweepSpecMessage(spec: ValidatedSpec, shardSize: number): SweepSpec {
  return {
    name: spec.name,
    method: spec.method,
    dataset: spec.dataset ? { name: spec.dataset.name, options: toParamMap(spec.dataset.options) } : undefined,
    params: toParamMap(spec.params),
    grid: Object.fromEntries(spec.grid.map(([k, values]) => [k, { values: values.map(toParamValue) }])),
    seeds: spec.seeds,
    objectives: spec.objectives.map((o) => ({ metric: o.metric, goal: o.goal === 'min' ? Goal.GOAL_MIN : Goal.GOAL_MAX, aggregate: o.aggregate ?? '' })),
    selection: spec.selection ?? '',
    shardSize,
    maxAttempts: spec.maxAttempts,
    ...(spec.earlyStop
      ? {
          earlyStop: {
            algorithm: spec.earlyStop.algorithm,
            objectives: spec.earlyStop.objectives.map((o) => ({ metric: o.metric, goal: o.goal === 'min' ? Goal.GOAL_MIN : Goal.GOAL_MAX, aggregate: '' })),
            minSteps: spec.earlyStop.minSteps,
            reductionFactor: spec.earlyStop.reductionFactor,
            maxRungs: spec.earlyStop.maxRungs ?? 0,
          },
        }
      : {}),
    pack: spec.pack,
    search: spec.search
      ? {
          samples: spec.search.samples ?? 0,
          seed: spec.search.seed,
          space: Object.fromEntries(Object.entries(spec.search.space).map(([k, d]) => [k, toDistributionMessage(d)])),
          algorithm: spec.adaptive?.algorithm ?? '',
          budget: spec.adaptive?.budget ?? 0,
          batch: spec.adaptive?.batch ?? 0,
        }
      : undefined,
  };
}
