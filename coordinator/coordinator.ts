import { randomBytes } from 'node:crypto';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { SHARDS_STREAM, EVENTS_SUBJECTS, Shard, SweepState, TrialEvent, TrialEvent_Kind, TrialStatus, cancelSubject, resultSubject, TrialResult, type Frontier, type Objective, type Progress, type SubmitResponse, type SweepRecord, type WorkerInfo } from '../proto/index.js';
import { connectNats, whenReady, errorText, isAlreadyRecorded, silentLogger, type Logger, type NatsClientOptions } from '../common/index.js';
import { getMethod } from '../catalog/index.js';
import { CoordinatorMetrics } from './coordinator-metrics.js';
import { InvalidArgumentError, SweepNotFoundError, SweepStateError } from './errors.js';
import { DEFAULT_ACK_WAIT_MS, Dispatcher } from './queue/dispatcher.js';
import { ensureStreams } from './queue/streams.js';
import { ResultsReader } from './sweeps/results-reader.js';
import { SweepAggregate } from './sweeps/sweep-state.js';
import { SweepStore } from './sweeps/sweep-store.js';
import { toSweepSpecMessage } from './sweeps/spec-message.js';
import { parseSpecText, planShards, planTrials, planPrefixShards, defaultShardSize, defaultPrefixShardSize, DEFAULT_MAX_TRIALS, type PlannedTrial } from './spec/index.js';
import { WorkerRegistry } from './workers/worker-registry.js';
import { ID_PATTERN } from '../proto/index.js';

export interface CoordinatorOptions {
  nats: NatsClientOptions;
  /** JetStream replicas of the streams and bucket: 1 locally, 3 on a cluster. Default 1. */
  replicas?: number;
  /** Largest sweep accepted, in trials. Default 100,000. */
  maxTrials?: number;
  /** Shard ack deadline: a worker silent this long loses its shard to another. Default 30 s. */
  ackWaitMs?: number;
  /** Period of the queue-depth / exhausted-shard check. Default 5 s. */
  reconcileIntervalMs?: number;
  log?: Logger;
}

const EXHAUSTED_ADVISORY = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${SHARDS_STREAM}.*`;

/**
 * Owns the sweeps: validates and dispatches them, aggregates results into frontiers, and keeps
 * all of it recoverable from JetStream (KV records + results stream).
 */
export class Coordinator {
  readonly metrics = new CoordinatorMetrics();
  readonly workers: WorkerRegistry;
  private readonly sweeps = new Map<string, SweepAggregate>();
  private readonly subs: Subscription[] = [];
  private reader!: ResultsReader;
  private dispatcher!: Dispatcher;
  private store!: SweepStore;
  private js!: JetStreamClient;
  private jsm!: JetStreamManager;
  private timer: NodeJS.Timeout | undefined;
  private readonly suspectedExhausted = new Map<string, Set<number>>();
  private closing: Promise<void> | undefined;
  private readonly log: Logger;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly options: CoordinatorOptions,
  ) {
    this.log = options.log ?? silentLogger;
    this.workers = new WorkerRegistry((err) => {
      this.metrics.malformed.inc({ subject: 'heartbeat' });
      this.log.warn('dropped malformed worker heartbeat', { error: errorText(err) });
    });
  }

  static async start(options: CoordinatorOptions): Promise<Coordinator> {
    const nc = await connectNats({ name: 'fairsweep-coordinator', ...options.nats });
    const c = new Coordinator(nc, options);
    try {
      await c.init();
    } catch (err) {
      await c.close().catch(() => undefined);
      throw err;
    }
    return c;
  }

  private async init(): Promise<void> {
    const replicas = this.options.replicas ?? 1;
    this.jsm = await whenReady(() => jetstreamManager(this.nc));
    this.js = jetstream(this.nc);
    await ensureStreams(this.jsm, { replicas });
    this.store = await whenReady(() => SweepStore.open(this.nc, replicas));
    this.dispatcher = new Dispatcher(this.js, this.jsm, this.options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS);
    for (const record of await this.store.list((key, err) => this.log.error('unreadable sweep record', { key, error: errorText(err) }))) {
      this.sweeps.set(record.id, new SweepAggregate(record));
    }
    this.workers.start(this.nc);
    this.subs.push(
      this.nc.subscribe(EVENTS_SUBJECTS, {
        callback: (err, msg) => {
          if (!err) this.onEvent(msg.data);
        },
      }),
    );
    this.subs.push(
      this.nc.subscribe(EXHAUSTED_ADVISORY, {
        callback: (err, msg) => {
          if (err) return;
          const adv = msg.json<{ stream_seq?: number }>();
          if (typeof adv.stream_seq === 'number') void this.onExhausted(adv.stream_seq);
        },
      }),
    );
    this.reader = new ResultsReader(this.js, {
      onResult: (r) => this.onResult(r),
      onMalformed: (subject, err) => {
        this.metrics.malformed.inc({ subject: 'results' });
        this.log.warn('dropped malformed result message', { subject, error: errorText(err) });
      },
      log: this.log,
    });
    await this.reader.start();
    // Sweeps whose dispatch was interrupted: publish again; JetStream drops the shards it already has.
    for (const agg of this.sweeps.values()) {
      if (agg.record.state === SweepState.SWEEP_STATE_RUNNING && !agg.record.dispatched) await this.dispatch(agg, agg.record);
      this.checkCompleted(agg);
    }
    this.updateGauges();
    const every = this.options.reconcileIntervalMs ?? 5_000;
    this.timer = setInterval(() => void this.reconcile().catch((err: unknown) => this.log.warn('reconcile failed', { error: errorText(err) })), every);
    this.timer.unref();
    void this.reconcile().catch(() => undefined);
    this.log.info('coordinator ready', { sweeps: this.sweeps.size, recorded: this.reader.count });
  }

  // ---- API -------------------------------------------------------------------------------

  async submit(specText: string): Promise<SubmitResponse> {
    const spec = parseSpecText(specText, { maxTrials: this.options.maxTrials ?? DEFAULT_MAX_TRIALS });
    const id = `${spec.name}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`.slice(-63);
    const trials = planTrials(id, spec.grid, spec.params, spec.seeds, spec.samples);
    const prefixKey = prefixKeyOf(spec.method);
    const shardSize = spec.shardSize ?? (prefixKey ? defaultPrefixShardSize(trials, prefixKey) : defaultShardSize(trials.length));
    const shards = planPrefixShards(id, trials, shardSize, prefixKey);
    const record: SweepRecord = {
      id,
      spec: toSweepSpecMessage(spec, shardSize),
      state: SweepState.SWEEP_STATE_RUNNING,
      totalTrials: trials.length,
      totalShards: shards.length,
      createdAtMs: Date.now(),
      finishedAtMs: 0,
      specYaml: specText,
      dispatched: false,
      reason: '',
    };
    const agg = new SweepAggregate(record);
    this.sweeps.set(id, agg);
    await this.dispatch(agg, record, shards);
    this.log.info('sweep submitted', { sweep: id, trials: trials.length, shards: shards.length });
    this.updateGauges();
    return { sweepId: id, totalTrials: trials.length, totalShards: shards.length };
  }

  get(id: string): { sweep: SweepRecord; progress: Progress } {
    const agg = this.sweep(id);
    return { sweep: agg.record, progress: agg.progress() };
  }

  /** The aggregate of a sweep, for streaming its events; throws SweepNotFoundError. */
  sweep(id: string): SweepAggregate {
    if (!ID_PATTERN.test(id)) throw new InvalidArgumentError(`sweep_id: expected an id like "name-abc123", got ${JSON.stringify(id.slice(0, 80))}`);
    const agg = this.sweeps.get(id);
    if (!agg) throw new SweepNotFoundError(id);
    return agg;
  }

  listSweeps(): SweepRecord[] {
    return [...this.sweeps.values()].map((a) => a.record);
  }

  results(id: string): TrialResult[] {
    return [...this.sweep(id).results.values()].sort((a, b) => a.index - b.index);
  }

  frontier(id: string, objectives?: readonly Objective[], reference?: readonly number[]): Frontier {
    const agg = this.sweep(id);
    if (reference && reference.length > 0 && reference.length !== (objectives?.length || agg.objectives.length)) {
      throw new InvalidArgumentError(`reference: expected ${objectives?.length || agg.objectives.length} values (one per objective), got ${reference.length}`);
    }
    return agg.frontierFor(objectives, reference);
  }

  listWorkers(): WorkerInfo[] {
    return this.workers.list();
  }

  async cancel(id: string): Promise<Progress> {
    const agg = this.sweep(id);
    if (agg.record.state === SweepState.SWEEP_STATE_CANCELLED) return agg.progress();
    if (agg.record.state === SweepState.SWEEP_STATE_COMPLETED) throw new SweepStateError(`sweep ${id} has already completed`);
    agg.record = { ...agg.record, state: SweepState.SWEEP_STATE_CANCELLED, finishedAtMs: Date.now(), reason: 'cancelled by request' };
    await this.store.put(agg.record);
    this.nc.publish(cancelSubject(id), new Uint8Array());
    await this.dispatcher.remove(id);
    this.log.info('sweep cancelled', { sweep: id, done: agg.done, total: agg.record.totalTrials });
    this.finish(agg);
    return agg.progress();
  }

  /** Resolves when the results stream has been read up to its current end. */
  async caughtUp(): Promise<void> {
    await this.reader.caughtUp();
  }

  // ---- internals -------------------------------------------------------------------------

  private async dispatch(agg: SweepAggregate, record: SweepRecord, planned?: ReturnType<typeof planShards>): Promise<void> {
    const spec = record.spec;
    if (!spec) throw new Error(`sweep ${record.id} has no spec`);
    let shards = planned;
    if (!shards) {
      // Re-plan from the stored spec: ids are deterministic, so this is the same plan.
      const validated = parseSpecText(record.specYaml, { maxTrials: Number.MAX_SAFE_INTEGER });
      shards = planPrefixShards(record.id, planTrials(record.id, validated.grid, validated.params, validated.seeds, validated.samples), spec.shardSize, prefixKeyOf(validated.method));
    }
    await this.dispatcher.ensureConsumer(record.id, spec.maxAttempts);
    await this.store.put(record);
    await this.dispatcher.publish({
      sweepId: record.id,
      method: spec.method,
      ...(spec.dataset ? { dataset: spec.dataset } : {}),
      maxAttempts: spec.maxAttempts,
      shards,
    });
    agg.record = { ...agg.record, dispatched: true };
    await this.store.put(agg.record);
  }

  private onResult(r: TrialResult): void {
    const agg = this.sweeps.get(r.sweepId);
    if (!agg) {
      this.log.debug('result for an unknown sweep', { sweep: r.sweepId, trial: r.trialId });
      return;
    }
    if (!agg.add(r)) {
      this.metrics.duplicates.inc();
      return;
    }
    const method = agg.record.spec?.method ?? 'unknown';
    if (r.status === TrialStatus.TRIAL_STATUS_OK) this.metrics.trialsCompleted.inc({ method });
    else this.metrics.trialsFailed.inc({ method });
    if (r.finishedAtMs > 0 && r.startedAtMs > 0) this.metrics.trialDuration.observe({ method }, Math.max(0, r.finishedAtMs - r.startedAtMs) / 1000);
    if (r.attempts > 0) this.metrics.attempts.observe(r.attempts);
    this.checkCompleted(agg);
  }

  private onEvent(data: Uint8Array): void {
    let ev: TrialEvent;
    try {
      ev = TrialEvent.decode(data);
    } catch (err) {
      this.metrics.malformed.inc({ subject: 'events' });
      this.log.warn('dropped malformed trial event', { error: errorText(err) });
      return;
    }
    const agg = this.sweeps.get(ev.sweepId);
    if (!agg || agg.results.has(ev.trialId)) return;
    if (ev.kind === TrialEvent_Kind.KIND_STARTED) agg.running.set(ev.trialId, { workerId: ev.workerId, attempt: ev.attempt, sinceMs: ev.atMs });
    else if (ev.kind === TrialEvent_Kind.KIND_RETRYING || ev.kind === TrialEvent_Kind.KIND_ABANDONED) {
      agg.running.delete(ev.trialId);
      if (ev.error) agg.lastError.set(ev.trialId, ev.error);
    }
  }

  /** A shard ran out of delivery attempts: record its unrecorded trials as failed, then drop it. */
  private async onExhausted(seq: number): Promise<void> {
    try {
      const stored = await this.dispatcher.getShard(seq);
      if (!stored) return;
      let shard: Shard;
      try {
        shard = Shard.decode(stored.data);
      } catch (err) {
        this.metrics.malformed.inc({ subject: 'shards' });
        this.log.warn('exhausted shard does not decode; deleting it', { seq, error: errorText(err) });
        await this.dispatcher.deleteShard(seq);
        return;
      }
      const agg = this.sweeps.get(shard.sweepId);
      this.metrics.exhausted.inc();
      this.log.warn('shard exhausted its delivery attempts', { sweep: shard.sweepId, shard: shard.id, attempts: shard.maxAttempts });
      if (agg && agg.record.state === SweepState.SWEEP_STATE_RUNNING) {
        const now = Date.now();
        await Promise.all(
          shard.trials
            .filter((t) => !agg.results.has(t.id))
            .map((t) => {
              const running = agg.running.get(t.id);
              const reason =
                agg.lastError.get(t.id) ??
                `no result after ${shard.maxAttempts} delivery attempt(s) of shard ${shard.id}: the worker running it crashed, hung or was stopped${running ? ` (last on worker ${running.workerId})` : ''}`;
              const result: TrialResult = {
                trialId: t.id,
                sweepId: shard.sweepId,
                params: t.params,
                seed: t.seed,
                index: t.index,
                status: TrialStatus.TRIAL_STATUS_FAILED,
                error: reason,
                metrics: {},
                groupMetrics: [],
                attempts: shard.maxAttempts,
                workerId: running?.workerId ?? '',
                backend: '',
                startedAtMs: running?.sinceMs ?? 0,
                finishedAtMs: now,
              };
              return this.js
                .publish(resultSubject(shard.sweepId, t.id), TrialResult.encode(result).finish(), { msgID: t.id })
                .catch((err: unknown) => {
                  // The trial already has its one result message. Anything else is retried by reconcile.
                  if (!isAlreadyRecorded(err)) throw err;
                });
            }),
        );
      }
      await this.dispatcher.deleteShard(seq);
    } catch (err) {
      this.log.warn('handling an exhausted shard failed; will retry', { seq, error: errorText(err) });
    }
  }

  private checkCompleted(agg: SweepAggregate): void {
    if (agg.record.state !== SweepState.SWEEP_STATE_RUNNING || agg.done < agg.record.totalTrials) return;
    agg.record = { ...agg.record, state: SweepState.SWEEP_STATE_COMPLETED, finishedAtMs: Date.now() };
    const record = agg.record;
    this.log.info('sweep completed', { sweep: agg.id, ok: agg.ok, failed: agg.failed });
    void this.store.put(record).catch((err: unknown) => this.log.error('could not store completed sweep', { sweep: agg.id, error: errorText(err) }));
    void this.dispatcher.remove(agg.id).catch((err: unknown) => this.log.warn('could not remove consumer', { sweep: agg.id, error: errorText(err) }));
    this.finish(agg);
  }

  private finish(agg: SweepAggregate): void {
    agg.running.clear();
    this.suspectedExhausted.delete(agg.id);
    this.metrics.forgetSweep(agg.id);
    this.updateGauges();
    agg.emit('end', agg.progress());
  }

  private updateGauges(): void {
    const byState = new Map<string, number>();
    for (const agg of this.sweeps.values()) {
      const state = SweepState[agg.record.state].replace('SWEEP_STATE_', '').toLowerCase();
      byState.set(state, (byState.get(state) ?? 0) + 1);
      this.metrics.frontierSize.set({ sweep: agg.id }, agg.frontierSize());
      const hv = agg.objectives.length === 2 ? agg.hypervolume() : null;
      if (hv !== null && Number.isFinite(hv)) this.metrics.hypervolume.set({ sweep: agg.id }, hv);
      if (!agg.finished) {
        this.metrics.trials.set({ sweep: agg.id, state: 'ok' }, agg.ok);
        this.metrics.trials.set({ sweep: agg.id, state: 'failed' }, agg.failed);
        this.metrics.trials.set({ sweep: agg.id, state: 'running' }, agg.running.size);
        this.metrics.trials.set({ sweep: agg.id, state: 'queued' }, Math.max(0, agg.record.totalTrials - agg.done - agg.running.size));
      }
    }
    for (const s of ['running', 'completed', 'cancelled']) this.metrics.sweeps.set({ state: s }, byState.get(s) ?? 0);
    const workers = this.workers.list();
    this.metrics.workersConnected.set(workers.length);
    this.metrics.workerSlots.set(workers.reduce((s, w) => s + w.slots, 0));
    this.metrics.busySlots.set(workers.reduce((s, w) => s + w.busy, 0));
  }

  /**
   * Periodic check: queue depth gauges, and shards no worker can take any more (their exhaustion
   * advisory was missed, e.g. while this coordinator was down) — seen twice in a row, they are
   * handled as exhausted.
   */
  private async reconcile(): Promise<void> {
    this.updateGauges();
    await this.reader.checkStalled();
    for (const agg of this.sweeps.values()) {
      if (agg.record.state !== SweepState.SWEEP_STATE_RUNNING || !agg.record.dispatched) continue;
      const depth = await this.dispatcher.depth(agg.id);
      if (!depth) {
        await this.dispatcher.ensureConsumer(agg.id, agg.record.spec?.maxAttempts ?? 1);
        continue;
      }
      this.metrics.queueDepth.set({ sweep: agg.id }, depth.pending);
      this.metrics.shardsInFlight.set({ sweep: agg.id }, depth.inFlight);
      if (depth.pending > 0 || depth.inFlight > 0 || agg.done >= agg.record.totalTrials) {
        this.suspectedExhausted.delete(agg.id);
        continue;
      }
      const stuck = await this.dispatcher.remaining(agg.id);
      const before = this.suspectedExhausted.get(agg.id) ?? new Set<number>();
      const now = new Set(stuck.map((m) => m.seq));
      for (const seq of now) if (before.has(seq)) await this.onExhausted(seq);
      this.suspectedExhausted.set(agg.id, now);
    }
  }

  /** Stops serving and disconnects; idempotent. Sweeps go on from JetStream when a coordinator starts again. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      for (const s of this.subs) s.unsubscribe();
      this.workers.stop();
      for (const agg of this.sweeps.values()) agg.removeAllListeners();
      await this.reader?.stop().catch(() => undefined);
      await this.nc.drain().catch(() => this.nc.close());
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The method's prefix key as a function of a planned trial, when its trials share prefixes. */
function prefixKeyOf(method: string): ((t: PlannedTrial) => string) | undefined {
  const key = getMethod(method)?.prefixKey;
  return key ? (t) => key(t.params, t.seed) : undefined;
}
