import { randomBytes } from 'node:crypto';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { EVENTS_SUBJECTS, ID_PATTERN, Shard, SweepState, TrialEvent, TrialEvent_Kind, TrialStatus, cancelSubject, resultSubject, TrialResult, type Frontier, type Objective, type Progress, type SubmitResponse, type SweepRecord, type WorkerInfo } from '../proto/index.js';
import { createSweepArtifacts } from './artifacts/index.js';
import { sweepArtifactBytes } from '../catalog/methods/command.js';
import { connectNats, whenReady, errorText, isAlreadyRecorded, type Logger } from '../common/index.js';
import { CoordinatorMetrics } from './coordinator-metrics.js';
import { compileCoordinatorOptions, type CompiledCoordinatorOptions, type CoordinatorOptions } from './coordinator-options.js';
import { InvalidArgumentError, SweepNotFoundError, SweepStateError } from './errors.js';
import { EXHAUSTED_ADVISORY, exhaustedShardSeq } from './queue/advisories.js';
import { Dispatcher } from './queue/dispatcher.js';
import { ensureStreams } from './queue/streams.js';
import { ResultsReader } from './sweeps/results-reader.js';
import { SweepLifecycle } from './sweeps/sweep-lifecycle.js';
import { SweepStore } from './sweeps/sweep-store.js';
import { toSweepSpecMessage } from './sweeps/spec-message.js';
import { parseSpecText, type PlannedShard } from './spec/index.js';
import { planSweep, replanShards } from './spec/index.js';
import { WorkerRegistry } from './workers/worker-registry.js';

export type { CoordinatorOptions } from './coordinator-options.js';

/** Label values of `fairsweep_sweeps`: the states a sweep can be in. */
const SWEEP_STATES = ['running', 'completed', 'failed', 'cancelled'] as const;

const stateName = (s: SweepState): string => (SweepState[s] ?? 'SWEEP_STATE_UNSPECIFIED').replace('SWEEP_STATE_', '').toLowerCase();

/**
 * Owns the sweeps: validates and dispatches them, routes results, trial events and exhausted
 * shards to each sweep's SweepLifecycle and stores the records it returns, so that all of it is
 * recoverable from JetStream (KV records + results stream).
 */
export class Coordinator {
  readonly metrics = new CoordinatorMetrics();
  readonly workers: WorkerRegistry;
  private readonly sweeps = new Map<string, SweepLifecycle>();
  private readonly subs: Subscription[] = [];
  private readonly js: JetStreamClient;
  private readonly dispatcher: Dispatcher;
  private readonly reader: ResultsReader;
  private readonly log: Logger;
  private readonly suspectedExhausted = new Map<string, Set<number>>();
  /** Shard sequences being handled as exhausted now. */
  private readonly exhausting = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly options: Readonly<CompiledCoordinatorOptions>,
    jsm: JetStreamManager,
    private readonly store: SweepStore,
  ) {
    this.log = options.log;
    this.js = jetstream(nc);
    this.dispatcher = new Dispatcher(this.js, jsm, options.ackWaitMs);
    this.workers = new WorkerRegistry((err) => this.dropMalformed('heartbeat', err));
    this.reader = new ResultsReader(this.js, {
      onResult: (r) => this.onResult(r),
      onMalformed: (subject, err) => this.dropMalformed('results', err, subject),
      log: this.log,
    });
  }

  /** Checks the options (InvalidOptionError), connects and rebuilds every sweep from JetStream. */
  static async start(options: CoordinatorOptions): Promise<Coordinator> {
    const o = compileCoordinatorOptions(options);
    const nc = await connectNats({ name: 'fairsweep-coordinator', ...o.nats });
    let c: Coordinator | undefined;
    try {
      const jsm = await whenReady(() => jetstreamManager(nc));
      await ensureStreams(jsm, { replicas: o.replicas });
      const store = await whenReady(() => SweepStore.open(nc, o.replicas));
      c = new Coordinator(nc, o, jsm, store);
      await c.init();
      return c;
    } catch (err) {
      if (c) await c.close().catch(() => undefined);
      else await nc.close().catch(() => undefined);
      throw err;
    }
  }

  private async init(): Promise<void> {
    for (const record of await this.store.list((key, err) => this.log.error('unreadable sweep record', { key, error: errorText(err) }))) {
      try {
        this.sweeps.set(record.id, SweepLifecycle.fromRecord(record));
      } catch (err) {
        if (!(err instanceof SweepStateError)) throw err;
        this.log.error('unusable sweep record; skipped', { sweep: record.id, error: errorText(err) });
      }
    }
    this.workers.start(this.nc);
    this.subs.push(this.subscribe(EVENTS_SUBJECTS, 'events', decodeEvent, (ev) => this.onEvent(ev)));
    this.subs.push(this.subscribe(EXHAUSTED_ADVISORY, 'advisories', exhaustedShardSeq, (seq) => void this.onExhausted(seq)));
    await this.reader.start();
    // Sweeps whose dispatch was interrupted: publish again; JetStream drops the shards it already has.
    for (const sweep of this.sweeps.values()) {
      if (sweep.phase === 'dispatching') await this.dispatch(sweep);
      this.settle(sweep);
    }
    this.updateGauges();
    this.timer = setInterval(() => void this.reconcile().catch((err: unknown) => this.log.warn('reconcile failed', { error: errorText(err) })), this.options.reconcileIntervalMs);
    this.timer.unref();
    void this.reconcile().catch(() => undefined);
    this.log.info('coordinator ready', { sweeps: this.sweeps.size, recorded: this.reader.count });
  }

  // ---- API -------------------------------------------------------------------------------

  async submit(specText: string): Promise<SubmitResponse> {
    const spec = parseSpecText(specText, { maxTrials: this.options.maxTrials });
    const id = `${spec.name}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`.slice(-63);
    const { trials, shardSize, shards } = planSweep(id, spec);
    const sweep = SweepLifecycle.create({
      id,
      spec: toSweepSpecMessage(spec, shardSize),
      specYaml: specText,
      totalTrials: trials.length,
      totalShards: shards.length,
      createdAtMs: Date.now(),
    });
    this.sweeps.set(id, sweep);
    if (spec.method === 'command') await createSweepArtifacts(this.nc, id, sweepArtifactBytes(spec.params), this.options.replicas);
    await this.dispatch(sweep, shards);
    this.log.info('sweep submitted', { sweep: id, trials: trials.length, shards: shards.length });
    this.updateGauges();
    return { sweepId: id, totalTrials: trials.length, totalShards: shards.length };
  }

  get(id: string): { sweep: SweepRecord; progress: Progress } {
    const sweep = this.sweep(id);
    return { sweep: sweep.record, progress: sweep.progress() };
  }

  /** A sweep's lifecycle, for reading it and following its events; throws SweepNotFoundError. */
  sweep(id: string): SweepLifecycle {
    if (!ID_PATTERN.test(id)) throw new InvalidArgumentError(`sweep_id: expected an id like "name-abc123", got ${JSON.stringify(id.slice(0, 80))}`);
    const sweep = this.sweeps.get(id);
    if (!sweep) throw new SweepNotFoundError(id);
    return sweep;
  }

  listSweeps(): SweepRecord[] {
    return [...this.sweeps.values()].map((s) => s.record);
  }

  results(id: string): TrialResult[] {
    return [...this.sweep(id).results.values()].sort((a, b) => a.index - b.index);
  }

  frontier(id: string, objectives?: readonly Objective[], reference?: readonly number[]): Frontier {
    const sweep = this.sweep(id);
    const expected = objectives?.length || sweep.objectives.length;
    if (reference && reference.length > 0 && reference.length !== expected) {
      throw new InvalidArgumentError(`reference: expected ${expected} values (one per objective), got ${reference.length}`);
    }
    return sweep.frontierFor(objectives, reference);
  }

  listWorkers(): WorkerInfo[] {
    return this.workers.list();
  }

  /** Cancels a running sweep; a no-op for a cancelled one; SweepStateError for one that completed or failed. */
  async cancel(id: string): Promise<Progress> {
    const sweep = this.sweep(id);
    const record = sweep.cancel(Date.now());
    if (!record) return sweep.progress();
    await this.store.put(record);
    this.nc.publish(cancelSubject(id), new Uint8Array());
    await this.dispatcher.remove(id);
    this.log.info('sweep cancelled', { sweep: id, done: sweep.done, total: record.totalTrials });
    this.ended(sweep);
    return sweep.progress();
  }

  /** Resolves when the results stream has been read up to its current end. */
  async caughtUp(): Promise<void> {
    await this.reader.caughtUp();
  }

  // ---- routing ---------------------------------------------------------------------------

  /**
   * A core NATS subscription whose messages are parsed, then handled. A message that does not parse
   * is dropped, counted and logged; an error while handling one is logged. Neither ends the
   * subscription.
   */
  private subscribe<T>(subject: string, kind: string, parse: (data: Uint8Array) => T, handle: (value: T) => void): Subscription {
    return this.nc.subscribe(subject, {
      callback: (err, msg: Msg) => {
        if (err) {
          this.log.warn('subscription error', { subject, error: errorText(err) });
          return;
        }
        let value: T;
        try {
          value = parse(msg.data);
        } catch (e) {
          this.dropMalformed(kind, e, msg.subject);
          return;
        }
        try {
          handle(value);
        } catch (e) {
          this.log.error('handling a message failed', { subject: msg.subject, error: errorText(e) });
        }
      },
    });
  }

  private dropMalformed(kind: string, err: unknown, subject?: string): void {
    this.metrics.malformed.inc({ subject: kind });
    this.log.warn(`dropped malformed ${kind} message`, { ...(subject ? { subject } : {}), error: errorText(err) });
  }

  private onResult(r: TrialResult): void {
    const sweep = this.sweeps.get(r.sweepId);
    if (!sweep) {
      this.log.debug('result for an unknown sweep', { sweep: r.sweepId, trial: r.trialId });
      return;
    }
    if (!sweep.recordResult(r)) {
      this.metrics.duplicates.inc();
      return;
    }
    const method = sweep.spec.method;
    if (r.status === TrialStatus.TRIAL_STATUS_OK) this.metrics.trialsCompleted.inc({ method });
    else this.metrics.trialsFailed.inc({ method });
    if (r.finishedAtMs > 0 && r.startedAtMs > 0) this.metrics.trialDuration.observe({ method }, Math.max(0, r.finishedAtMs - r.startedAtMs) / 1000);
    if (r.attempts > 0) this.metrics.attempts.observe(r.attempts);
    this.settle(sweep);
  }

  private onEvent(ev: TrialEvent): void {
    const sweep = this.sweeps.get(ev.sweepId);
    if (!sweep) return;
    if (ev.kind === TrialEvent_Kind.KIND_STARTED) sweep.trialStarted(ev.trialId, { workerId: ev.workerId, attempt: ev.attempt, sinceMs: ev.atMs });
    else if (ev.kind === TrialEvent_Kind.KIND_RETRYING || ev.kind === TrialEvent_Kind.KIND_ABANDONED) sweep.trialRetrying(ev.trialId, ev.error);
    else if (ev.kind === TrialEvent_Kind.KIND_PROGRESS) sweep.emit('trial-progress', ev);
  }

  /**
   * A shard ran out of delivery attempts: publish a failed result for each of its trials that has
   * none (a result JetStream already holds is kept: isAlreadyRecorded), then delete the shard.
   * Anything else that fails is tried again by reconcile.
   */
  private async onExhausted(seq: number): Promise<void> {
    // The advisory and reconcile may both report a shard: it is handled once at a time.
    if (this.exhausting.has(seq)) return;
    this.exhausting.add(seq);
    try {
      const stored = await this.dispatcher.getShard(seq);
      if (!stored) return;
      let shard: Shard;
      try {
        shard = Shard.decode(stored.data);
      } catch (err) {
        this.dropMalformed('shards', err, stored.subject);
        await this.dispatcher.deleteShard(seq);
        return;
      }
      this.metrics.exhausted.inc();
      this.log.warn('shard exhausted its delivery attempts', { sweep: shard.sweepId, shard: shard.id, attempts: shard.maxAttempts });
      const failed = this.sweeps.get(shard.sweepId)?.shardExhausted(shard, Date.now()) ?? [];
      await Promise.all(failed.map((r) => this.publishResult(r)));
      await this.dispatcher.deleteShard(seq);
    } catch (err) {
      this.log.warn('handling an exhausted shard failed; will retry', { seq, error: errorText(err) });
    } finally {
      this.exhausting.delete(seq);
    }
  }

  private async publishResult(r: TrialResult): Promise<void> {
    try {
      await this.js.publish(resultSubject(r.sweepId, r.trialId), TrialResult.encode(r).finish(), { msgID: r.trialId });
    } catch (err) {
      // The trial already has its one result message (a worker's, or an earlier attempt of ours).
      if (!isAlreadyRecorded(err)) throw err;
    }
  }

  // ---- lifecycle side effects ------------------------------------------------------------

  /** Stores the sweep, publishes its shards (planned now, or again from its spec), then marks it dispatched. */
  private async dispatch(sweep: SweepLifecycle, planned?: readonly PlannedShard[]): Promise<void> {
    const { id, specYaml } = sweep.record;
    const spec = sweep.spec;
    const shards = planned ?? replanShards(id, specYaml, spec.shardSize);
    await this.dispatcher.ensureConsumer(id, spec.maxAttempts);
    await this.store.put(sweep.record);
    await this.dispatcher.publish({
      sweepId: id,
      method: spec.method,
      ...(spec.dataset ? { dataset: spec.dataset } : {}),
      maxAttempts: spec.maxAttempts,
      shards,
    });
    const record = sweep.markDispatched();
    if (record) await this.store.put(record);
    // Cancelled while its shards were published: the ones published after the purge go too.
    else if (sweep.phase === 'cancelled') await this.dispatcher.remove(id);
  }

  /** Ends the sweep if every trial has a result, and stores the outcome. */
  private settle(sweep: SweepLifecycle): void {
    const record = sweep.settle(Date.now());
    if (!record) return;
    this.log.info(record.state === SweepState.SWEEP_STATE_FAILED ? 'sweep failed' : 'sweep completed', { sweep: sweep.id, ok: sweep.ok, failed: sweep.failed, ...(record.reason ? { reason: record.reason } : {}) });
    void this.store.put(record).catch((err: unknown) => this.log.error('could not store finished sweep', { sweep: sweep.id, error: errorText(err) }));
    void this.dispatcher.remove(sweep.id).catch((err: unknown) => this.log.warn('could not remove consumer', { sweep: sweep.id, error: errorText(err) }));
    this.ended(sweep);
  }

  private ended(sweep: SweepLifecycle): void {
    this.suspectedExhausted.delete(sweep.id);
    this.metrics.forgetSweep(sweep.id);
    this.updateGauges();
  }

  private updateGauges(): void {
    const byState = new Map<string, number>();
    for (const sweep of this.sweeps.values()) {
      const state = stateName(sweep.record.state);
      byState.set(state, (byState.get(state) ?? 0) + 1);
      this.metrics.frontierSize.set({ sweep: sweep.id }, sweep.frontierSize());
      const hv = sweep.objectives.length === 2 ? sweep.hypervolume() : null;
      if (hv !== null && Number.isFinite(hv)) this.metrics.hypervolume.set({ sweep: sweep.id }, hv);
      if (!sweep.finished) {
        this.metrics.trials.set({ sweep: sweep.id, state: 'ok' }, sweep.ok);
        this.metrics.trials.set({ sweep: sweep.id, state: 'failed' }, sweep.failed);
        this.metrics.trials.set({ sweep: sweep.id, state: 'running' }, sweep.running.size);
        this.metrics.trials.set({ sweep: sweep.id, state: 'queued' }, Math.max(0, sweep.record.totalTrials - sweep.done - sweep.running.size));
      }
    }
    for (const s of SWEEP_STATES) this.metrics.sweeps.set({ state: s }, byState.get(s) ?? 0);
    const workers = this.workers.list();
    this.metrics.workersConnected.set(workers.length);
    this.metrics.clusterSlots.set(workers.reduce((s, w) => s + w.slots, 0));
    this.metrics.clusterBusySlots.set(workers.reduce((s, w) => s + w.busy, 0));
  }

  /**
   * Periodic check: queue depth gauges, and shards no worker can take any more (their exhaustion
   * advisory was missed, e.g. while this coordinator was down) — seen twice in a row, they are
   * handled as exhausted.
   */
  private async reconcile(): Promise<void> {
    this.updateGauges();
    await this.reader.checkStalled();
    for (const sweep of this.sweeps.values()) {
      if (sweep.phase !== 'running') continue;
      const depth = await this.dispatcher.depth(sweep.id);
      if (!depth) {
        await this.dispatcher.ensureConsumer(sweep.id, sweep.spec.maxAttempts);
        continue;
      }
      this.metrics.queueDepth.set({ sweep: sweep.id }, depth.pending);
      this.metrics.shardsInFlight.set({ sweep: sweep.id }, depth.inFlight);
      if (depth.pending > 0 || depth.inFlight > 0 || sweep.done >= sweep.record.totalTrials) {
        this.suspectedExhausted.delete(sweep.id);
        continue;
      }
      const stuck = await this.dispatcher.remaining(sweep.id);
      const before = this.suspectedExhausted.get(sweep.id) ?? new Set<number>();
      const now = new Set(stuck.map((m) => m.seq));
      for (const seq of now) if (before.has(seq)) await this.onExhausted(seq);
      this.suspectedExhausted.set(sweep.id, now);
    }
  }

  /** Stops serving and disconnects; idempotent. Sweeps go on from JetStream when a coordinator starts again. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      for (const s of this.subs) s.unsubscribe();
      this.workers.stop();
      for (const sweep of this.sweeps.values()) sweep.removeAllListeners();
      await this.reader.stop().catch(() => undefined);
      await this.nc.drain().catch(() => this.nc.close());
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A trial event from its protobuf bytes; throws when it does not decode or names no trial. */
function decodeEvent(data: Uint8Array): TrialEvent {
  const ev = TrialEvent.decode(data);
  if (!ev.trialId || !ev.sweepId) throw new Error('trial event without trial_id or sweep_id');
  return ev;
}
