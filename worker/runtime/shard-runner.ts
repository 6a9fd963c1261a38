import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { TrialEvent, TrialEvent_Kind, TrialResult, TrialStatus, decodeShardOn, eventSubject, type Shard, type Trial } from '../../proto/index.js';
import { errorText, type Logger } from '../../common/index.js';
import type { PackOutcome, TrialOutput, TrialRuntime } from '../methods/types.js';
import type { PrefixCache } from '../methods/prefix-cache.js';
import type { DataRoot } from '../datasets/data-root.js';
import type { CommandHost } from '../methods/command/host-types.js';
import type { MemoryBudget } from '../methods/memory-guard.js';
import { TrialCancelledError, isUnrecoverable } from '../errors.js';
import type { Backend } from '../backend-types.js';
import type { WorkerMetrics } from './worker-metrics.js';
import { ShardHeartbeat } from './shard-heartbeat.js';
import { ResultPublisher, isRecorded } from './result-publisher.js';
import type { StoreBackoff } from './store-backoff.js';
import { executeTrial } from './trial-execution.js';
import type { TrialStops } from './trial-stops.js';
import { deliveryRuns, executePack } from './shard-packs.js';

/** Why a running shard was stopped from outside. */
export type StopReason = 'cancelled' | 'hand-back';

export interface ShardContext {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  workerId: string;
  backendName: () => string;
  /** The accelerator's name, '' on a CPU backend. */
  deviceName: () => string;
  backend: () => Promise<Backend>;
  prefixCache: PrefixCache;
  /** Where dataset files are read (WorkerOptions.dataDir); undefined: none are. */
  dataRoot: DataRoot | undefined;
  /** What command trials get; undefined: they are refused. */
  command?: CommandHost;
  /** One trial's share of the worker's memory (WorkerOptions.memoryMb over its slots). */
  memoryBudget: MemoryBudget;
  metrics: WorkerMetrics;
  log: Logger;
  /** JetStream's ack deadline for this consumer; heartbeats go out at a third of it. */
  ackWaitMs: number;
  /** Called once per trial result published by this worker. */
  onTrialDone: () => void;
  /** The worker's back-off while results cannot be stored: told of each result stored or refused. */
  storeBackoff: StoreBackoff;
  /** The trials running on this worker, each stoppable on its own (early stopping). */
  trialStops: TrialStops;
}

/** Base delay before a retried shard is delivered again; doubles per attempt, capped at MAX_RETRY_DELAY_MS. */
export const RETRY_BASE_DELAY_MS = 500;
export const MAX_RETRY_DELAY_MS = 30_000;
/** A trial is announced as running (for Watch, metrics and post-mortems) once it has run this long. */
export const STARTED_EVENT_DELAY_MS = 50;

/** How a shard's delivery ends: each outcome settles the message one way (ShardRun.finish). */
export type ShardOutcome =
  /** Every trial has its result: ack. */
  | { kind: 'completed' }
  /** A trial failed with attempts left: nak with a back-off; recorded trials are skipped on redelivery. */
  | { kind: 'retry'; delayMs: number }
  /** Results could not be stored: nak for the worker's back-off (StoreBackoff), not after the ack deadline. */
  | { kind: 'store-failed'; error: unknown }
  /** The worker drains with hand-back: nak, another worker takes it now. */
  | { kind: 'handed-back' }
  /** The sweep was cancelled: term, never delivered again. */
  | { kind: 'cancelled' };

/** fairsweep_worker_shards_total's outcome label of each outcome. */
const OUTCOME_LABEL: Readonly<Record<ShardOutcome['kind'], string>> = {
  completed: 'acked',
  retry: 'retried',
  'store-failed': 'store_refused',
  'handed-back': 'handed_back',
  cancelled: 'cancelled',
};

/** After one trial: go on with the next, stop (cancelled), or end the shard with an outcome. */
type TrialStep = 'next' | 'stop' | ShardOutcome;

/**
 * Runs one delivered shard: decodes it (a malformed one is terminated), then runs its trials
 * (ShardRun). `releaseSlot` is called once no more of its trials will run; `onDecoded` as soon as
 * the shard is known.
 */
export async function runShard(
  msg: JsMsg,
  ctx: ShardContext,
  controller: AbortController,
  releaseSlot: () => void,
  onDecoded: (s: Shard) => void,
): Promise<void> {
  const shard = decodeShard(msg, ctx);
  if (!shard) return;
  onDecoded(shard);
  await new ShardRun(msg, shard, ctx, controller.signal, releaseSlot).run();
}

function decodeShard(msg: JsMsg, ctx: ShardContext): Shard | undefined {
  try {
    // Not a shard of the sweep its subject names (garbage, or another sweep's shard): terminated.
    return decodeShardOn(msg.subject, msg.data);
  } catch (err) {
    ctx.metrics.malformed.inc({ subject: 'shards' });
    ctx.metrics.shards.inc({ outcome: 'malformed' });
    ctx.log.warn('dropped malformed shard message', { subject: msg.subject, seq: msg.seq, error: errorText(err) });
    msg.term('malformed shard message');
    return undefined;
  }
}

/**
 * One delivery of a shard: its trials one after another (heartbeats while they run), each result
 * published with the trial id as message id; then `finish` settles the delivery exactly once.
 */
export class ShardRun {
  private readonly attempt: number;
  private readonly log: Logger;
  private readonly heartbeat: ShardHeartbeat;
  private readonly results: ResultPublisher;
  private readonly runtime: TrialRuntime;
  /** Aborted when a result is refused: the trials left would only make results that cannot be stored. */
  private readonly refusal = new AbortController();
  /** The worker's signal (cancel, hand-back) or a refused result: the trials stop. */
  private readonly trialSignal: AbortSignal;
  private refusedFor = 0;
  private finished = false;

  constructor(
    private readonly msg: JsMsg,
    private readonly shard: Shard,
    private readonly ctx: ShardContext,
    private readonly signal: AbortSignal,
    private readonly releaseSlot: () => void,
  ) {
    this.attempt = msg.info.deliveryCount;
    this.log = ctx.log.child({ sweep: shard.sweepId, shard: shard.id, attempt: this.attempt });
    this.heartbeat = new ShardHeartbeat(msg, ctx.ackWaitMs);
    this.results = new ResultPublisher(
      ctx.js,
      ctx.jsm,
      {
        stored: () => ctx.storeBackoff.stored(),
        refused: (err, retry) => {
          this.refusedFor = ctx.storeBackoff.refused(err, retry);
          this.refusal.abort('store-refused');
        },
      },
      (subject, seq) => {
        ctx.metrics.malformed.inc({ subject: 'results' });
        this.log.warn('found a message that is not a result in the place of a result; publishing again once the coordinator has deleted it', { subject, seq });
      },
    );
    this.trialSignal = AbortSignal.any([signal, this.refusal.signal]);
    this.runtime = { signal: this.trialSignal, heartbeat: () => this.heartbeat.beat(), backend: ctx.backend, prefixCache: ctx.prefixCache, memoryBudget: ctx.memoryBudget, ...(ctx.dataRoot ? { dataRoot: ctx.dataRoot } : {}), ...(ctx.command ? { command: ctx.command } : {}) };
  }

  async run(): Promise<void> {
    let outcome: ShardOutcome;
    try {
      outcome = await this.runTrials();
    } catch (err) {
      outcome = { kind: 'store-failed', error: err };
    }
    await this.finish(outcome);
  }

  private async runTrials(): Promise<ShardOutcome> {
    const recorded = (t: Trial): Promise<boolean> => isRecorded(this.ctx.jsm, this.shard.sweepId, t);
    for (const run of await deliveryRuns(this.shard, this.attempt, recorded, { backend: this.ctx.backend, memoryBudget: this.ctx.memoryBudget })) {
      if (this.trialSignal.aborted) break;
      const [trial] = run;
      if (!trial) continue;
      if (run.length === 1 && this.attempt > 1 && (await recorded(trial))) continue;
      const step = run.length === 1 ? await this.runTrial(trial) : await this.runPack(run);
      if (step === 'stop') break;
      if (step !== 'next') return step;
    }
    if (this.signal.aborted) return this.signal.reason === 'hand-back' ? { kind: 'handed-back' } : { kind: 'cancelled' };
    // A refused result: `finish` finds the error when it drains the results.
    return { kind: 'completed' };
  }

  /**
   * Trials trained as one pack: each gets its started event, its own result (ok or failed) and
   * its own retry decision, as if it had run alone; a trial to retry makes the shard retry once
   * every other trial of the pack is recorded. Cancellation stops the pack.
   */
  private async runPack(trials: readonly Trial[]): Promise<TrialStep> {
    const started = Date.now();
    this.ctx.metrics.packedTrials.inc({ method: this.shard.method }, trials.length);
    const startedEvents = setTimeout(() => {
      for (const t of trials) this.event(t, TrialEvent_Kind.KIND_STARTED);
    }, STARTED_EVENT_DELAY_MS);
    let outcomes: PackOutcome[];
    try {
      outcomes = await executePack(this.shard, trials, this.attempt, this.runtime).finally(() => clearTimeout(startedEvents));
    } catch (error) {
      outcomes = trials.map(() => ({ ok: false, error }));
    }
    let step: TrialStep = 'next';
    for (const [i, trial] of trials.entries()) {
      const o = outcomes[i] ?? { ok: false, error: new Error('no outcome from the pack') };
      if (o.ok) {
        await this.recordOk(trial, started, o.output);
        continue;
      }
      const next = await this.onTrialError(trial, started, o.error);
      if (next === 'stop') return 'stop';
      if (step === 'next') step = next;
    }
    return step;
  }

  private async runTrial(trial: Trial): Promise<TrialStep> {
    const started = Date.now();
    // Trials that finish within the delay never show as running: no event for them.
    const startedEvent = setTimeout(() => this.event(trial, TrialEvent_Kind.KIND_STARTED), STARTED_EVENT_DELAY_MS);
    let out: TrialOutput;
    const stop = this.ctx.trialStops.register(this.shard.sweepId, trial);
    const runtime = { ...this.runtime, signal: AbortSignal.any([this.trialSignal, stop.signal]), progress: (step: number, metrics: Record<string, number>) => this.progress(trial, step, metrics) };
    try {
      out = await executeTrial(this.shard, trial, this.attempt, runtime).finally(() => {
        clearTimeout(startedEvent);
        stop.release();
      });
    } catch (err) {
      // Stopped early: the coordinator recorded its pruned result; the slot goes on with the next trial.
      if (stop.signal.aborted && !this.trialSignal.aborted) {
        this.ctx.metrics.trials.inc({ method: this.shard.method, outcome: 'pruned' });
        this.log.info('trial stopped early (pruned)', { trial: trial.id });
        return 'next';
      }
      return this.onTrialError(trial, started, err);
    }
    await this.recordOk(trial, started, out);
    return 'next';
  }

  private async recordOk(trial: Trial, started: number, out: TrialOutput): Promise<void> {
    this.ctx.metrics.trials.inc({ method: this.shard.method, outcome: 'ok' });
    this.ctx.metrics.trialDuration.observe({ method: this.shard.method }, (Date.now() - started) / 1000);
    await this.publish(trial, started, { status: TrialStatus.TRIAL_STATUS_OK, metrics: out.metrics, groupMetrics: out.groupMetrics, ...(out.gpu !== undefined ? { gpu: out.gpu } : {}) });
  }

  /** A trial threw: cancelled, recorded as failed (unrecoverable or out of attempts), or retried with the shard. */
  private async onTrialError(trial: Trial, started: number, err: unknown): Promise<TrialStep> {
    const method = this.shard.method;
    if (this.trialSignal.aborted || err instanceof TrialCancelledError) {
      this.ctx.metrics.trials.inc({ method, outcome: 'cancelled' });
      return 'stop';
    }
    const text = errorText(err);
    const unrecoverable = isUnrecoverable(err);
    if (unrecoverable || this.attempt >= this.shard.maxAttempts) {
      this.ctx.metrics.trials.inc({ method, outcome: 'failed' });
      this.log.warn('trial failed', { trial: trial.id, error: text });
      const error = unrecoverable || this.shard.maxAttempts <= 1 ? text : `${text} (after ${this.attempt} attempts)`;
      await this.publish(trial, started, { status: TrialStatus.TRIAL_STATUS_FAILED, error });
      return 'next';
    }
    // Retry through JetStream: nak the shard; its recorded trials are skipped on redelivery.
    this.ctx.metrics.trials.inc({ method, outcome: 'retried' });
    this.log.info('trial failed, shard will be retried', { trial: trial.id, error: text });
    this.event(trial, TrialEvent_Kind.KIND_RETRYING, text);
    return { kind: 'retry', delayMs: Math.min(MAX_RETRY_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** (this.attempt - 1)) };
  }

  private async publish(trial: Trial, started: number, fields: Pick<TrialResult, 'status'> & Partial<TrialResult>): Promise<void> {
    const queued = this.results.publish({
      trialId: trial.id,
      sweepId: this.shard.sweepId,
      params: trial.params,
      seed: trial.seed,
      index: trial.index,
      attempts: this.attempt,
      workerId: this.ctx.workerId,
      startedAtMs: started,
      groupMetrics: [],
      metrics: {},
      error: '',
      backend: this.ctx.backendName(),
      device: this.ctx.deviceName(),
      finishedAtMs: Date.now(),
      ...fields,
    });
    this.ctx.onTrialDone();
    await queued;
  }

  /** A built-in method's progress report: a KIND_PROGRESS event with the step and metrics. */
  private progress(trial: Trial, step: number, metrics: Record<string, number>): void {
    if (this.ctx.nc.isClosed()) return;
    this.ctx.nc.publish(
      eventSubject(this.shard.sweepId),
      TrialEvent.encode({ kind: TrialEvent_Kind.KIND_PROGRESS, trialId: trial.id, sweepId: this.shard.sweepId, workerId: this.ctx.workerId, attempt: this.attempt, error: '', atMs: Date.now(), step, metrics }).finish(),
    );
  }

  private event(trial: Trial, kind: TrialEvent_Kind, error = ''): void {
    this.ctx.nc.publish(
      eventSubject(this.shard.sweepId),
      TrialEvent.encode({ kind, trialId: trial.id, sweepId: this.shard.sweepId, workerId: this.ctx.workerId, attempt: this.attempt, error, atMs: Date.now(), step: 0, metrics: {} }).finish(),
    );
  }

  /**
   * The one way out: frees the slot, waits for the results to be stored, then acks, naks or
   * terminates the message and counts the outcome, once whatever path led here.
   */
  private async finish(outcome: ShardOutcome): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    // No more trials of this shard will run: the slot can take the next shard while results are confirmed.
    this.releaseSlot();
    let settled = outcome;
    try {
      await this.results.drain();
    } catch (err) {
      settled = { kind: 'store-failed', error: err };
    }
    try {
      this.settle(settled);
      this.ctx.metrics.shards.inc({ outcome: OUTCOME_LABEL[settled.kind] });
    } finally {
      this.heartbeat.stop();
    }
  }

  private settle(outcome: ShardOutcome): void {
    switch (outcome.kind) {
      case 'completed':
        // Every result is stored before this ack. A lost ack only means a redelivery whose trials
        // are all skipped as recorded, so the slot need not wait for the server's confirmation.
        this.msg.ack();
        return;
      case 'retry':
        this.msg.nak(outcome.delayMs);
        return;
      case 'store-failed':
        // StoreBackoff logs the episode once; this shard comes back when its wait is over.
        this.log.debug('shard given back: results could not be stored', { error: errorText(outcome.error), delay_ms: this.refusedFor });
        this.msg.nak(this.refusedFor || RETRY_BASE_DELAY_MS);
        return;
      case 'handed-back':
        this.msg.nak();
        return;
      case 'cancelled':
        this.msg.term('sweep cancelled');
        return;
    }
  }
}
