import type { Trial } from '../../proto/index.js';

/** A trial running in one of this worker's slots, stoppable by early stopping. */
interface RunningTrial {
  sweepId: string;
  trial: Trial;
  controller: AbortController;
}

/** Why a trial's own signal was aborted: the coordinator stopped it early (its pruned result is recorded). */
export const PRUNED_REASON = 'pruned';

/**
 * The trials running on this worker, by id, each with its own AbortController: a stop message
 * from the coordinator (early stopping) aborts one trial, and its slot goes on with the next trial
 * of its shard. A stop message is a hint anyone allowed on its subject could send: the trial stops
 * only once the results stream holds its result (the coordinator records the pruned result first).
 */
export class TrialStops {
  private readonly running = new Map<string, RunningTrial>();

  /** Registers a trial about to run; its signal aborts when it is stopped. `release` when it ends. */
  register(sweepId: string, trial: Trial): { signal: AbortSignal; release(): void } {
    const controller = new AbortController();
    const entry: RunningTrial = { sweepId, trial, controller };
    this.running.set(trial.id, entry);
    return {
      signal: controller.signal,
      release: () => {
        if (this.running.get(trial.id) === entry) this.running.delete(trial.id);
      },
    };
  }

  /**
   * A stop message for `trialId` of `sweepId`: 'stopped' when the trial runs here and `recorded`
   * confirms its result is stored; 'not-running' when it does not run here; 'unconfirmed' otherwise.
   */
  async stop(sweepId: string, trialId: string, recorded: (sweepId: string, trial: Trial) => Promise<boolean>): Promise<'stopped' | 'not-running' | 'unconfirmed'> {
    const entry = this.running.get(trialId);
    if (!entry || entry.sweepId !== sweepId) return 'not-running';
    if (!(await recorded(sweepId, entry.trial))) return 'unconfirmed';
    entry.controller.abort(PRUNED_REASON);
    return 'stopped';
  }

  get size(): number {
    return this.running.size;
  }
}
