import { selectBest } from '../search/index.js';

/** Whether an objective is maximised or minimised. */
export type AshaGoal = 'max' | 'min';

/** The rung schedule and what is ranked at each rung. */
export interface AshaConfig {
  /** Steps of the first rung (r = 0). */
  minSteps: number;
  /** η: rung r is at minSteps·η^r; the top 1/η of a rung goes on. */
  reductionFactor: number;
  /** Rungs in all; undefined: no limit. */
  maxRungs?: number;
  /** One goal per ranked metric: one for ASHA, several for MO-ASHA. */
  goals: readonly AshaGoal[];
}

/** What a report decided. `ignored`: not counted (below the first rung, a rung this trial already reported at, or a stopped trial). */
export type AshaDecision =
  | { kind: 'ignored' }
  | { kind: 'continue'; rung: number }
  | { kind: 'stop'; rung: number };

/** The rung a report at `step` counts for: the highest r with minSteps·η^r ≤ step (capped by maxRungs), or -1 below the first. */
export function rungOf(step: number, c: Pick<AshaConfig, 'minSteps' | 'reductionFactor' | 'maxRungs'>): number {
  if (!(step >= c.minSteps)) return -1;
  let r = 0;
  let next = c.minSteps * c.reductionFactor;
  while (next <= step && (c.maxRungs === undefined || r + 1 < c.maxRungs)) {
    r++;
    next *= c.reductionFactor;
  }
  return r;
}

/** The step of rung r: minSteps·η^r. */
export const rungStep = (r: number, c: Pick<AshaConfig, 'minSteps' | 'reductionFactor'>): number => c.minSteps * c.reductionFactor ** r;

/**
 * Asynchronous successive halving (Li et al. 2020, "A System for Massively Parallel Hyperparameter
 * Tuning"), as Optuna's SuccessiveHalvingPruner applies it to trials that cannot be paused: a trial
 * reporting at rung r is compared with every value recorded at rung r so far, its own included
 * (n values); it goes on when it is among the best k = max(1, ⌊n/η⌋), and is stopped otherwise.
 * With one metric a tie with the k-th best value goes on (Optuna's `value >= k-th best`). With
 * several (MO-ASHA, Schmucker et al. 2021, NSGA-II selection), the n values are ordered by
 * non-dominated rank, then larger crowding distance, then order of arrival, and the first k go on,
 * with any report whose values equal one of theirs (the tie rule again).
 * A non-finite value ranks last. Decisions depend on nothing but the order of the reports.
 */
export class Asha {
  /** Values recorded at each rung, in order of arrival (minimised form: a max goal negated). */
  private readonly rungs: number[][][] = [];
  private readonly trialRung = new Map<string, number>();
  private readonly stopped = new Set<string>();

  constructor(readonly config: AshaConfig) {}

  /** Whether the trial was stopped by an earlier report. */
  isStopped(trialId: string): boolean {
    return this.stopped.has(trialId);
  }

  /** Values recorded at rung r so far. */
  count(r: number): number {
    return this.rungs[r]?.length ?? 0;
  }

  /** The rung a report at `step` of this trial would be recorded at, or -1 when it would be ignored. */
  pendingRung(trialId: string, step: number): number {
    if (this.stopped.has(trialId)) return -1;
    const r = rungOf(step, this.config);
    return r > (this.trialRung.get(trialId) ?? -1) ? r : -1;
  }

  /** Records a report of `values` (one per goal) at `step`, and decides. */
  report(trialId: string, step: number, values: readonly number[]): AshaDecision {
    if (values.length !== this.config.goals.length) throw new RangeError(`expected ${this.config.goals.length} values (one per ranked metric), got ${values.length}`);
    const r = this.pendingRung(trialId, step);
    if (r < 0) return { kind: 'ignored' };
    this.trialRung.set(trialId, r);
    const point = values.map((v, i) => minimised(v, this.config.goals[i] ?? 'max'));
    const rung = (this.rungs[r] ??= []);
    rung.push(point);
    const keep = Math.max(1, Math.floor(rung.length / this.config.reductionFactor));
    const goesOn = point.length === 1 ? inTopSingle(rung, rung.length - 1, keep) : inTopMulti(rung, rung.length - 1, keep);
    if (goesOn) return { kind: 'continue', rung: r };
    this.stopped.add(trialId);
    return { kind: 'stop', rung: r };
  }
}

/** The value as minimised: a max goal negated; NaN and ±Infinity the worst. */
function minimised(v: number, goal: AshaGoal): number {
  if (!Number.isFinite(v)) return Number.MAX_VALUE;
  return goal === 'max' ? -v : v;
}

/**
 * Whether point `i` is among the first k of the rung in NSGA-II order, or has the same values as a
 * point that is: equal values are one outcome, so a report equal to a kept one goes on whatever
 * its arrival (as a tie with the k-th best goes on with one metric). Without this a rung where many
 * trials sit at the same values (a plateau every configuration reaches first) keeps only the first
 * to arrive, and the decision is the order of arrival, not the values.
 */
function inTopMulti(rung: readonly (readonly number[])[], i: number, k: number): boolean {
  const kept = selectBest(rung, k);
  const p = rung[i] as readonly number[];
  return kept.some((j) => j === i || (rung[j] as readonly number[]).every((v, d) => v === p[d]));
}

/** Whether point `i` is no worse than the k-th smallest value of the rung. */
function inTopSingle(rung: readonly (readonly number[])[], i: number, k: number): boolean {
  const sorted = rung.map((p) => p[0] as number).sort((a, b) => a - b);
  return (rung[i]?.[0] as number) <= (sorted[k - 1] as number);
}
