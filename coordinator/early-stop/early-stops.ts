import { Goal, TrialStatus, type EarlyStopSpec, type Trial, type TrialEvent, type TrialResult } from '../../proto/index.js';
import { errorText, type Logger } from '../../common/index.js';
import { Asha } from './asha.js';
import type { RungLog } from './rung-log.js';

/** What early stopping needs from the coordinator. */
export interface EarlyStopsHost {
  /** The trials (params, seed, index) of a sweep's shards still on the work queue. */
  queuedTrials(sweepId: string): Promise<Trial[]>;
  /** Whether the trial has a result recorded. */
  recorded(sweepId: string, trialId: string): boolean;
  /** Records a result through the single-slot rule (message id = trial id). */
  publishResult(r: TrialResult): Promise<void>;
  /** Tells the workers that the trial was stopped (its pruned result is recorded). */
  stopTrial(sweepId: string, trialId: string): void;
  /** A rung message that does not decode. */
  malformed(seq: number, err: unknown): void;
  log: Logger;
}

/** One early-stopping sweep: its ASHA state and the queue its reports go through one at a time. */
interface Tracked {
  asha: Asha;
  metrics: string[];
  chain: Promise<void>;
  /** Trials of the sweep's queued shards seen so far, by id (read again when one is not there). */
  trials: Map<string, Trial>;
}

/**
 * Early stopping of every sweep with `early_stop`. Progress reports (TrialEvent KIND_PROGRESS) go
 * through one sweep's queue one at a time: a report at a new rung of its trial is first stored in
 * the rung log, then ranked (Asha); a stopped trial gets its pruned result (its last metrics and
 * step) published by the coordinator with the trial id as message id, on the subject that holds
 * one result (so it is recorded once, whatever the worker publishes), then a stop message. After a
 * restart, `add` replays the sweep's rung log: the same reports in the same order give the same
 * decisions, and a stopped trial whose pruned result is missing (the coordinator died in between)
 * gets it then.
 */
export class EarlyStops {
  private readonly sweeps = new Map<string, Tracked>();

  constructor(
    private readonly log: RungLog,
    private readonly host: EarlyStopsHost,
  ) {}

  has(sweepId: string): boolean {
    return this.sweeps.has(sweepId);
  }

  /**
   * Tracks a sweep: a new one (`replay` false), or one rebuilt after a restart, whose stored rung
   * reports are replayed first (call it once the results stream has been read, so `recorded` is known).
   */
  add(sweepId: string, spec: EarlyStopSpec, replay: boolean): Promise<void> {
    const asha = new Asha({
      minSteps: Number(spec.minSteps),
      reductionFactor: spec.reductionFactor,
      ...(spec.maxRungs > 0 ? { maxRungs: spec.maxRungs } : {}),
      goals: spec.objectives.map((o) => (o.goal === Goal.GOAL_MIN ? 'min' : 'max')),
    });
    const t: Tracked = { asha, metrics: spec.objectives.map((o) => o.metric), chain: Promise.resolve(), trials: new Map() };
    this.sweeps.set(sweepId, t);
    if (replay) t.chain = this.replay(sweepId, t).catch((err: unknown) => this.host.log.error('could not replay the rung reports of a sweep; its early stopping starts afresh', { sweep: sweepId, error: errorText(err) }));
    return t.chain;
  }

  /** A trial's progress report. */
  onProgress(ev: TrialEvent): void {
    const t = this.sweeps.get(ev.sweepId);
    if (!t) return;
    t.chain = t.chain.then(() => this.handle(t, ev)).catch((err: unknown) => this.host.log.warn('progress report not acted on', { sweep: ev.sweepId, trial: ev.trialId, error: errorText(err) }));
  }

  /** Stops tracking a sweep that ended, and removes its rung log. */
  forget(sweepId: string): void {
    const t = this.sweeps.get(sweepId);
    if (!t) return;
    this.sweeps.delete(sweepId);
    void t.chain.then(() => this.log.remove(sweepId)).catch((err: unknown) => this.host.log.debug('could not remove the rung reports of a finished sweep', { sweep: sweepId, error: errorText(err) }));
  }

  /** Waits until every report received so far has been acted on. */
  async idle(sweepId: string): Promise<void> {
    await this.sweeps.get(sweepId)?.chain;
  }

  private values(t: Tracked, ev: TrialEvent): number[] | undefined {
    const v = t.metrics.map((m) => ev.metrics[m]);
    return v.every((x): x is number => x !== undefined) ? v : undefined;
  }

  private async handle(t: Tracked, ev: TrialEvent): Promise<void> {
    // A report without every ranked metric is not counted; nor one of a trial already recorded.
    const values = this.values(t, ev);
    if (!values || this.host.recorded(ev.sweepId, ev.trialId)) return;
    const step = Number(ev.step);
    const rung = t.asha.pendingRung(ev.trialId, step);
    if (rung < 0) return;
    // Stored before it is acted on: a coordinator that dies after this decides the same on replay.
    await this.log.append(ev, rung);
    const d = t.asha.report(ev.trialId, step, values);
    if (d.kind === 'stop') await this.prune(t, ev, d.rung);
  }

  private async replay(sweepId: string, t: Tracked): Promise<void> {
    const events = await this.log.read(sweepId, (seq, err) => this.host.malformed(seq, err));
    for (const ev of events) {
      const values = this.values(t, ev);
      if (!values) continue;
      const d = t.asha.report(ev.trialId, Number(ev.step), values);
      if (d.kind === 'stop' && !this.host.recorded(sweepId, ev.trialId)) await this.prune(t, ev, d.rung);
    }
  }

  private async prune(t: Tracked, ev: TrialEvent, rung: number): Promise<void> {
    if (!t.trials.has(ev.trialId)) for (const q of await this.host.queuedTrials(ev.sweepId)) t.trials.set(q.id, q);
    const trial = t.trials.get(ev.trialId);
    if (!trial) {
      this.host.log.warn('trial to stop early not found among its sweep\'s queued shards; it runs to its end', { sweep: ev.sweepId, trial: ev.trialId });
      return;
    }
    const now = Date.now();
    await this.host.publishResult({
      trialId: trial.id,
      sweepId: ev.sweepId,
      params: trial.params,
      seed: trial.seed,
      index: trial.index,
      status: TrialStatus.TRIAL_STATUS_PRUNED,
      error: `stopped early at rung ${rung} (step ${ev.step})`,
      metrics: ev.metrics,
      groupMetrics: [],
      attempts: ev.attempt,
      workerId: ev.workerId,
      backend: '',
      device: '',
      startedAtMs: 0,
      finishedAtMs: now,
      step: ev.step,
    });
    this.host.stopTrial(ev.sweepId, ev.trialId);
    this.host.log.info('trial stopped early', { sweep: ev.sweepId, trial: ev.trialId, rung, step: Number(ev.step) });
  }
}
