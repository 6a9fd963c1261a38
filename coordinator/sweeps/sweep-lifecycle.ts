import { EventEmitter } from 'node:events';
import {
  SweepState,
  TrialStatus,
  type Frontier,
  type Objective,
  type Progress,
  type Shard,
  type SweepRecord,
  type SweepSpec,
  type TrialEvent,
  type TrialResult,
} from '../../proto/index.js';
import { SweepStateError } from '../errors.js';
import { SweepResults } from './sweep-results.js';

export interface RunningTrial {
  workerId: string;
  attempt: number;
  sinceMs: number;
}

export interface SweepEvents {
  result: [TrialResult];
  progress: [Progress];
  end: [Progress];
  /** A running trial's progress report (a command trial's progress line), passed on to Watch. */
  'trial-progress': [TrialEvent];
}

/**
 * Where a sweep is in its life:
 * - `dispatching`: accepted and stored, its shards not all accepted by JetStream yet
 *   (stored as SWEEP_STATE_RUNNING with `dispatched` false);
 * - `running`: every shard is queued; results are coming in (SWEEP_STATE_RUNNING, `dispatched`);
 * - `completed`: every trial has a result and at least one is ok (some may have failed);
 * - `failed`: every trial has a result and none is ok, so there is no frontier (SWEEP_STATE_FAILED,
 *   `reason` says so and quotes the first error); or its shards could not be queued (`fail`);
 * - `cancelled`: stopped by request before every trial had a result.
 * The last three are final.
 */
export type SweepPhase = 'dispatching' | 'running' | 'completed' | 'failed' | 'cancelled';

/** What a new sweep starts from. */
export interface NewSweep {
  id: string;
  spec: SweepSpec;
  specYaml: string;
  totalTrials: number;
  totalShards: number;
  createdAtMs: number;
}

/** Longest error text quoted in a failed sweep's `reason`. */
const MAX_REASON_ERROR_CHARS = 500;

/** The phase of a stored record; a record in no known state is refused with SweepStateError. */
export function phaseOf(record: Pick<SweepRecord, 'id' | 'state' | 'dispatched'>): SweepPhase {
  switch (record.state) {
    case SweepState.SWEEP_STATE_RUNNING:
      return record.dispatched ? 'running' : 'dispatching';
    case SweepState.SWEEP_STATE_COMPLETED:
      return 'completed';
    case SweepState.SWEEP_STATE_FAILED:
      return 'failed';
    case SweepState.SWEEP_STATE_CANCELLED:
      return 'cancelled';
    default:
      throw new SweepStateError(record.id, `state ${String(record.state)}`, 'load', `sweep ${record.id}: the stored record is in no known state (${String(record.state)})`);
  }
}

/**
 * One sweep's lifecycle, the one place its state changes: the record (its KV entry), the results
 * recorded once each (with the frontier), the trials running now and the last error each retried
 * trial reported. Transitions are methods; one that does not apply in the current phase throws
 * SweepStateError. The record is an immutable snapshot that each transition replaces and returns
 * for the caller to store. After a restart the same state is rebuilt from the stored record and
 * the replayed results stream (`fromRecord`, then `recordResult` for each).
 *
 * Emits `result` for each newly recorded result and `end` with the final progress when the sweep
 * completes, fails or is cancelled.
 */
export class SweepLifecycle extends EventEmitter<SweepEvents> {
  private current: Readonly<SweepRecord>;
  /** The validated spec, as stored in the record. */
  readonly spec: SweepSpec;
  private readonly tally: SweepResults;
  private readonly runningTrials = new Map<string, RunningTrial>();
  /** Last error a retried trial reported, used when its shard runs out of attempts. */
  private readonly lastErrors = new Map<string, string>();

  private constructor(record: SweepRecord) {
    super();
    this.setMaxListeners(0);
    phaseOf(record);
    if (!record.spec) throw new SweepStateError(record.id, phaseOf(record), 'load', `sweep ${record.id}: the stored record has no spec`);
    this.spec = record.spec;
    this.current = Object.freeze({ ...record });
    this.tally = new SweepResults(record.id, record.spec.objectives);
  }

  /** A sweep just accepted: `dispatching` until `markDispatched`. */
  static create(s: NewSweep): SweepLifecycle {
    return new SweepLifecycle({ ...s, state: SweepState.SWEEP_STATE_RUNNING, finishedAtMs: 0, dispatched: false, reason: '' });
  }

  /** A sweep as stored; replay its results with `recordResult`. Throws SweepStateError for a record in no known state or without a spec. */
  static fromRecord(record: SweepRecord): SweepLifecycle {
    return new SweepLifecycle(record);
  }

  get record(): Readonly<SweepRecord> {
    return this.current;
  }

  get phase(): SweepPhase {
    return phaseOf(this.current);
  }

  get id(): string {
    return this.current.id;
  }

  get objectives(): Objective[] {
    return this.tally.objectives;
  }

  get ok(): number {
    return this.tally.ok;
  }

  get failed(): number {
    return this.tally.failed;
  }

  get pruned(): number {
    return this.tally.pruned;
  }

  get done(): number {
    return this.tally.done;
  }

  /** Completed, failed or cancelled: nothing more happens to it. */
  get finished(): boolean {
    const p = this.phase;
    return p === 'completed' || p === 'failed' || p === 'cancelled';
  }

  /** Results by trial id, the first recorded one of each trial. */
  get results(): ReadonlyMap<string, TrialResult> {
    return this.tally.results;
  }

  /** Trials a worker reported started that have no result yet; empty once the sweep ended. */
  get running(): ReadonlyMap<string, RunningTrial> {
    return this.runningTrials;
  }

  // ---- transitions -----------------------------------------------------------------------

  /**
   * dispatching → running: every shard is queued. Returns the record to store, or undefined when
   * the sweep ended while its shards were being published (cancelled, or every trial recorded).
   */
  markDispatched(): Readonly<SweepRecord> | undefined {
    const phase = this.phase;
    if (phase === 'running') throw this.refuse('markDispatched', 'its shards were dispatched already');
    if (phase !== 'dispatching') return undefined;
    return this.replace({ dispatched: true });
  }

  /**
   * Records a trial's result. Accepted in every phase: results are replayed after a restart, and a
   * trial may finish as its sweep is cancelled. False when the trial already has one (the first
   * one stands). Does not end the sweep: `settle` does.
   */
  recordResult(r: TrialResult): boolean {
    if (r.sweepId !== this.id) throw this.refuse('recordResult', `the result of trial ${r.trialId} belongs to sweep ${r.sweepId}`);
    if (!this.tally.add(r)) return false;
    this.runningTrials.delete(r.trialId);
    this.lastErrors.delete(r.trialId);
    this.emit('result', r);
    return true;
  }

  /**
   * dispatching | running → completed | failed, once every trial has a result: `completed` when at
   * least one is ok, `failed` when none is. Returns the record to store, or undefined when the
   * sweep goes on or has ended already.
   */
  settle(now: number): Readonly<SweepRecord> | undefined {
    if (this.finished || this.done < this.current.totalTrials) return undefined;
    if (this.ok > 0 || this.current.totalTrials === 0) return this.end({ state: SweepState.SWEEP_STATE_COMPLETED, finishedAtMs: now });
    const firstError = [...this.results.values()].sort((a, b) => a.index - b.index).find((r) => r.error)?.error;
    const reason = `every trial failed (${this.failed} of ${this.current.totalTrials})${firstError ? `; the first error: ${firstError.slice(0, MAX_REASON_ERROR_CHARS)}` : ''}`;
    return this.end({ state: SweepState.SWEEP_STATE_FAILED, finishedAtMs: now, reason });
  }

  /** A worker started a trial (an event). False when that no longer matters: it has a result, or the sweep ended. */
  trialStarted(trialId: string, running: RunningTrial): boolean {
    if (this.finished || this.results.has(trialId)) return false;
    this.runningTrials.set(trialId, { ...running });
    return true;
  }

  /** An attempt of a trial failed and its shard goes back to the queue, or a worker abandoned it (an event). */
  trialRetrying(trialId: string, error: string): boolean {
    if (this.finished || this.results.has(trialId)) return false;
    this.runningTrials.delete(trialId);
    if (error) this.lastErrors.set(trialId, error);
    return true;
  }

  /**
   * dispatching | running → cancelled. Returns the record to store, or undefined when the sweep was
   * cancelled already. A completed or failed sweep is not cancelled: SweepStateError.
   */
  cancel(now: number, reason = 'cancelled by request'): Readonly<SweepRecord> | undefined {
    const phase = this.phase;
    if (phase === 'cancelled') return undefined;
    if (phase === 'completed' || phase === 'failed') throw this.refuse('cancel', `it has already ${phase}`);
    return this.end({ state: SweepState.SWEEP_STATE_CANCELLED, finishedAtMs: now, reason });
  }

  /**
   * dispatching → failed: its shards could not all be queued (e.g. when a restarted coordinator
   * dispatches it again and JetStream's store is full); `reason` says why. Returns the record to
   * store, or undefined when the sweep has ended already. A sweep that is running is not failed
   * this way: SweepStateError.
   */
  fail(now: number, reason: string): Readonly<SweepRecord> | undefined {
    const phase = this.phase;
    if (this.finished) return undefined;
    if (phase !== 'dispatching') throw this.refuse('fail', 'its shards are queued already');
    return this.end({ state: SweepState.SWEEP_STATE_FAILED, finishedAtMs: now, reason: reason.slice(0, MAX_REASON_ERROR_CHARS * 2) });
  }

  /**
   * A shard of this sweep ran out of delivery attempts: the failed results to publish for those of
   * its trials that have no result, each with the last error a retry reported (or why there is
   * none). None once the sweep has ended. They are not recorded here: they come back through the
   * results stream like any other result.
   */
  shardExhausted(shard: Shard, now: number): TrialResult[] {
    if (shard.sweepId !== this.id) throw this.refuse('shardExhausted', `shard ${shard.id} belongs to sweep ${shard.sweepId}`);
    if (this.finished) return [];
    return shard.trials
      .filter((t) => !this.results.has(t.id))
      .map((t) => {
        const running = this.runningTrials.get(t.id);
        const error =
          this.lastErrors.get(t.id) ??
          `no result after ${shard.maxAttempts} delivery attempt(s) of shard ${shard.id}: the worker running it crashed, hung or was stopped${running ? ` (last on worker ${running.workerId})` : ''}`;
        return {
          trialId: t.id,
          sweepId: this.id,
          params: t.params,
          seed: t.seed,
          index: t.index,
          status: TrialStatus.TRIAL_STATUS_FAILED,
          error,
          metrics: {},
          groupMetrics: [],
          attempts: shard.maxAttempts,
          workerId: running?.workerId ?? '',
          backend: '',
          device: '',
          startedAtMs: running?.sinceMs ?? 0,
          finishedAtMs: now,
        };
      });
  }

  private end(change: Partial<SweepRecord>): Readonly<SweepRecord> {
    const record = this.replace(change);
    this.runningTrials.clear();
    this.lastErrors.clear();
    this.emit('end', this.progress());
    return record;
  }

  private replace(change: Partial<SweepRecord>): Readonly<SweepRecord> {
    this.current = Object.freeze({ ...this.current, ...change });
    return this.current;
  }

  private refuse(transition: string, why: string): SweepStateError {
    return new SweepStateError(this.id, this.phase, transition, `sweep ${this.id} is ${this.phase}: cannot ${transition}: ${why}`);
  }

  // ---- progress and frontier (computed by SweepResults) ----------------------------------

  progress(): Progress {
    const hv = this.objectives.length === 2 ? this.hypervolume() : null;
    return {
      sweepId: this.id,
      state: this.record.state,
      total: this.record.totalTrials,
      ok: this.ok,
      failed: this.failed,
      ...(this.pruned > 0 ? { pruned: this.pruned } : {}),
      running: this.finished ? 0 : this.running.size,
      frontierSize: this.frontierSize(),
      ...(hv !== null && Number.isFinite(hv) ? { hypervolume: hv } : {}),
      createdAtMs: this.record.createdAtMs,
      finishedAtMs: this.record.finishedAtMs,
    };
  }

  frontierSize(): number {
    return this.tally.frontierSize();
  }

  hypervolume(): number | null {
    return this.tally.hypervolume();
  }

  /** See SweepResults.frontierFor. */
  frontierFor(objectives?: readonly Objective[], reference?: readonly number[]): Frontier {
    return this.tally.frontierFor(objectives, reference);
  }
}
