import { EventEmitter } from 'node:events';
import {
  Goal,
  SweepState,
  TrialStatus,
  type Frontier,
  type Objective,
  type Progress,
  type SweepRecord,
  type TrialResult,
} from '../../proto/index.js';
import { IncrementalFrontier, assembleFrontier, type Goal as FrontierGoal } from '../frontier/index.js';

export interface RunningTrial {
  workerId: string;
  attempt: number;
  sinceMs: number;
}

export interface SweepEvents {
  result: [TrialResult];
  progress: [Progress];
  end: [Progress];
}

const goalOf = (g: Goal): FrontierGoal => (g === Goal.GOAL_MIN ? 'min' : 'max');

export function objectiveValues(r: TrialResult, objectives: readonly Objective[]): number[] {
  return objectives.map((o) => r.metrics[o.metric] ?? Number.NaN);
}

/**
 * Everything the coordinator knows about one sweep, rebuilt from JetStream after a restart: its
 * record (KV), the results recorded once each (results stream), trials running now (events) and
 * the frontier, updated as each result arrives.
 */
export class SweepAggregate extends EventEmitter<SweepEvents> {
  readonly results = new Map<string, TrialResult>();
  readonly running = new Map<string, RunningTrial>();
  /** Last error a retried trial reported, used when its shard runs out of attempts. */
  readonly lastError = new Map<string, string>();
  ok = 0;
  failed = 0;
  private readonly frontier: IncrementalFrontier<TrialResult>;

  constructor(public record: SweepRecord) {
    super();
    this.setMaxListeners(0);
    const objectives = record.spec?.objectives ?? [];
    this.frontier = new IncrementalFrontier<TrialResult>(objectives.map((o) => goalOf(o.goal)));
  }

  get id(): string {
    return this.record.id;
  }

  get objectives(): Objective[] {
    return this.record.spec?.objectives ?? [];
  }

  get done(): number {
    return this.ok + this.failed;
  }

  get finished(): boolean {
    return this.record.state === SweepState.SWEEP_STATE_COMPLETED || this.record.state === SweepState.SWEEP_STATE_CANCELLED;
  }

  /** Records a result; false when this trial already has one (the first recorded one stands). */
  add(r: TrialResult): boolean {
    if (this.results.has(r.trialId)) return false;
    this.results.set(r.trialId, r);
    this.running.delete(r.trialId);
    this.lastError.delete(r.trialId);
    if (r.status === TrialStatus.TRIAL_STATUS_OK) {
      this.ok++;
      this.frontier.add({ id: r.trialId, values: objectiveValues(r, this.objectives), item: r });
    } else {
      this.failed++;
    }
    this.emit('result', r);
    return true;
  }

  frontierSize(): number {
    return this.frontier.size;
  }

  hypervolume(): number | null {
    return this.frontier.hypervolume();
  }

  progress(): Progress {
    const hv = this.objectives.length === 2 ? this.hypervolume() : null;
    return {
      sweepId: this.id,
      state: this.record.state,
      total: this.record.totalTrials,
      ok: this.ok,
      failed: this.failed,
      running: this.finished ? 0 : this.running.size,
      frontierSize: this.frontierSize(),
      ...(hv !== null && Number.isFinite(hv) ? { hypervolume: hv } : {}),
      createdAtMs: this.record.createdAtMs,
      finishedAtMs: this.record.finishedAtMs,
    };
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
