import {
  Goal,
  TrialStatus,
  type Frontier,
  type Objective,
  type TrialResult,
} from '../../proto/index.js';
import { IncrementalFrontier, assembleFrontier, type Goal as FrontierGoal } from '../frontier/index.js';

const goalOf = (g: Goal): FrontierGoal => (g === Goal.GOAL_MIN ? 'min' : 'max');

export function objectiveValues(r: TrialResult, objectives: readonly Objective[]): number[] {
  return objectives.map((o) => r.metrics[o.metric] ?? Number.NaN);
}

/**
 * The results of one sweep, recorded once each, and the frontier, updated as each ok result
 * arrives. Its `SweepLifecycle` feeds it; nothing else does.
 */
export class SweepResults {
  private readonly byTrial = new Map<string, TrialResult>();
  private okCount = 0;
  private failedCount = 0;
  private prunedCount = 0;
  private readonly frontier: IncrementalFrontier<TrialResult>;

  constructor(
    readonly id: string,
    readonly objectives: Objective[],
  ) {
    this.frontier = new IncrementalFrontier<TrialResult>(objectives.map((o) => goalOf(o.goal)));
  }

  /** Results by trial id. */
  get results(): ReadonlyMap<string, TrialResult> {
    return this.byTrial;
  }

  get ok(): number {
    return this.okCount;
  }

  get failed(): number {
    return this.failedCount;
  }

  /** Trials stopped early (early_stop): neither ok nor failed, and not on the frontier. */
  get pruned(): number {
    return this.prunedCount;
  }

  get done(): number {
    return this.okCount + this.failedCount + this.prunedCount;
  }

  /** Records a result; false when this trial already has one (the first recorded one stands). */
  add(r: TrialResult): boolean {
    if (this.byTrial.has(r.trialId)) return false;
    this.byTrial.set(r.trialId, r);
    if (r.status === TrialStatus.TRIAL_STATUS_OK) {
      this.okCount++;
      this.frontier.add({ id: r.trialId, values: objectiveValues(r, this.objectives), item: r });
    } else if (r.status === TrialStatus.TRIAL_STATUS_PRUNED) {
      this.prunedCount++;
    } else {
      this.failedCount++;
    }
    return true;
  }

  frontierSize(): number {
    return this.frontier.size;
  }

  hypervolume(): number | null {
    return this.frontier.hypervolume();
  }

  /** The frontier of the ok results on the spec's objectives, or on others; hypervolume against `reference` or the default. */
  frontierFor(objectives?: readonly Objective[], reference?: readonly number[]): Frontier {
    const objs = objectives && objectives.length > 0 ? [...objectives] : this.objectives;
    const ok = [...this.results.values()].filter((r) => r.status === TrialStatus.TRIAL_STATUS_OK);
    const f = assembleFrontier(
      ok.map((r) => ({ id: r.trialId, values: objectiveValues(r, objs), item: r })),
      objs.map((o) => goalOf(o.goal)),
      reference && reference.length > 0 ? { reference } : {},
    );
    return {
      sweepId: this.id,
      objectives: objs,
      rows: f.rows.map((c) => ({
        trialId: c.id,
        params: c.item.params,
        seed: c.item.seed,
        values: [...c.values],
        metrics: c.item.metrics,
      })),
      ...(f.hypervolume !== null ? { hypervolume: f.hypervolume } : {}),
      reference: f.reference ?? [],
    };
  }
}
