import { Goal, toParamMap, toParamValue, type SweepSpec } from '../../proto/index.js';
import type { ValidatedSpec } from '../spec/index.js';

/** The protobuf form of a validated spec (grid axes materialised). */
export function toSweepSpecMessage(spec: ValidatedSpec, shardSize: number): SweepSpec {
  return {
    name: spec.name,
    method: spec.method,
    dataset: spec.dataset ? { name: spec.dataset.name, options: toParamMap(spec.dataset.options) } : undefined,
    params: toParamMap(spec.params),
    grid: Object.fromEntries(spec.grid.map(([k, values]) => [k, { values: values.map(toParamValue) }])),
    seeds: spec.seeds,
    objectives: spec.objectives.map((o) => ({ metric: o.metric, goal: o.goal === 'min' ? Goal.GOAL_MIN : Goal.GOAL_MAX })),
    shardSize,
    maxAttempts: spec.maxAttempts,
  };
}
