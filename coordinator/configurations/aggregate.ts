import type { Goal } from '../frontier/index.js';
import type { MetricSummary } from './summary.js';

/** How an objective's value over a configuration's seeds becomes one number. */
export const AGGREGATES = ['mean', 'median', 'worst', 'best'] as const;
export type Aggregate = (typeof AGGREGATES)[number];
export const DEFAULT_AGGREGATE: Aggregate = 'mean';

/** An objective of a configuration-level frontier. */
export interface AggregatedObjective {
  metric: string;
  goal: Goal;
  /** Default `mean`. */
  aggregate?: Aggregate;
}

/**
 * One number for a configuration's metric: the mean or median over its ok seeds, or the worst
 * (best) seed for the goal: the lowest (highest) value of a maximised metric, the highest (lowest)
 * of a minimised one. NaN when no seed has the metric, so the configuration is ranked nowhere.
 */
export function aggregateValue(s: MetricSummary | null, aggregate: Aggregate, goal: Goal): number {
  if (!s) return Number.NaN;
  switch (aggregate) {
    case 'mean':
      return s.mean;
    case 'median':
      return s.median;
    case 'worst':
      return goal === 'max' ? s.min : s.max;
    case 'best':
      return goal === 'max' ? s.max : s.min;
  }
}

/** `metric (goal)` or `metric (goal, worst)`: how an objective is named in tables and headers. */
export function objectiveLabel(o: AggregatedObjective): string {
  const a = o.aggregate ?? DEFAULT_AGGREGATE;
  return `${o.metric} (${o.goal}${a === DEFAULT_AGGREGATE ? '' : `, ${a}`})`;
}
