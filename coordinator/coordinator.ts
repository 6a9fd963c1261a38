import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { EVENTS_SUBJECTS, ID_PATTERN, RESULTS_STREAM, stopTrialSubject, SweepState, TrialEvent, TrialEvent_Kind, cancelSubject, resultSubject, TrialResult, type ConfigurationFrontier, type Frontier, type Objective, type Progress, Shard, type SubmitResponse, type SweepRecord, type WorkerInfo } from '../proto/index.js';
import { createSweepArtifacts, removeSweepArtifacts } from './artifacts/index.js';
import { sweepArtifactBytes } from '../catalog/methods/command.js';
import { ReaderSupervisor, connectNats, publishToSlot, whenReady, errorText, JETSTREAM_TIMEOUT_MS, type Logger } from '../common/index.js';
import { CoordinatorMetrics } from './coordinator-metrics.js';
import { compileCoordinatorOptions, type CompiledCoordinatorOptions, type CoordinatorOptions } from './coordinator-options.js';
import { InvalidArgumentError, SweepNotFoundError, SweepStateError } from './errors.js';
import { MalformedMessages } from './malformed-messages.js';
import { Reconciler } from './reconciler.js';
import { EXHAUSTED_ADVISORY, exhaustedClaim } from './queue/advisories.js';
import { Dispatcher } from './queue/dispatcher.js';
import { ExhaustedShards } from './queue/exhausted-shards.js';
import { ensureStreams } from './queue/streams.js';
import { ResultsReader, isResultOn } from './sweeps/results-reader.js';
import { SweepLifecycle } from './sweeps/sweep-lifecycle.js';
import { SweepStore } from './sweeps/sweep-store.js';
import { SweepDispatch } from './sweeps/sweep-dispatch.js';
import { RecordWriter } from './sweeps/record-writer.js';
import { toSweepSpecMessage } from './sweeps/spec-message.js';
import { parseSpecText, planSweep, type PlannedShard } from './spec/index.js';
import { AdaptiveSweeps } from './search/index.js';
import { sweepConfigurationFrontier } from './configurations/index.js';
import { sweepProtocol } from './sweeps/sweep-protocol.js';
import { EarlyStops, RungLog } from './early-stop/index.js';
import { WorkerRegistry } from './workers/worker-registry.js';

export type { CoordinatorOptions } from './coordinator-options.js';

/**
 * Owns the sweeps: validates and dispatches them, routes results, trial events and exhausted
 * shards to each sweep's SweepLifecycle and stores the records it returns, so that all of it is
 * recoverable from JetStream (KV records + results stream).
 */
export class Coordinator {
  readonly metrics = new CoordinatorMetrics();
  readonly workers: WorkerRegistry;
  /**
   * Every NATS reader of this coordinator (events, advisories, heartbeats, results), restarted with
   * a back-off when one closes; `healthy` is false while one is down (the gRPC health status follows).
   */
  readonly readers: ReaderSupervisor;
  private readonly sweeps = new Map<string, SweepLifecycle>();
  private readonly js: JetStreamClient;
  private readonly dispatcher: Dispatcher;
  /** Adaptive searches (search.algorithm): later batches are published as results arrive. */
  private readonly adaptive: AdaptiveSweeps;
  private readonly exhausted: ExhaustedShards;
  /** Early stopping (early_stop): progress reports ranked at rungs, stopped trials recorded pruned. */
  private readonly earlyStops: EarlyStops;
  private readonly sweepDispatch: SweepDispatch;
  private readonly records: RecordWriter;
  private readonly reader: ResultsReader;
  private readonly log: Logger;
  private readonly malformed: MalformedMessages;
  /** The periodic check (reconcile) and the gauges. */
  private readonly reconciler: Reconciler;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly options: Readonly<CompiledCoordinatorOptions>,
    private readonly jsm: JetStreamManager,
    private readonly store: SweepStore,
  ) {
    this.log = options.log;
    this.malformed = new MalformedMessages(this.metrics, this.log);
    this.js = jetstream(nc, { timeout: JETSTREAM_TIMEOUT_MS });
    this.dispatcher = new Dispatcher(this.js, jsm, options.ackWaitMs);
    this.adaptive = new AdaptiveSweeps({
      publish: (id, shards) => this.publishShards(id, shards),
      storedShardIds: async (id) => new Set((await this.dispatcher.remaining(id)).map((m) => Shard.decode(m.data).id)),
      warn: (message, fields) => this.log.warn(message, fields),
    });
    this.readers = new ReaderSupervisor(this.log);
    this.earlyStops = new EarlyStops(new RungLog(this.js, jsm), {
      queuedTrials: async (sweepId) => (await this.dispatcher.remaining(sweepId)).flatMap((m) => Shard.decode(m.data).trials),
      recorded: (sweepId, trialId) => this.sweeps.get(sweepId)?.results.has(trialId) ?? false,
      publishResult: (r) => this.publishResult(r),
      stopTrial: (sweepId, trialId) => this.nc.publish(stopTrialSubject(sweepId), new TextEncoder().encode(trialId)),
      malformed: (seq, err) => this.malformed.drop('rungs', err, `seq ${seq}`),
      log: this.log,
    });
    this.exhausted = new ExhaustedShards(jsm, this.dispatcher, {
      exhausted: (shard) => this.failExhausted(shard),
      malformed: (subject, err) => this.malformed.drop('shards', err, subject),
      refused: (claim, why) => this.malformed.drop('advisories', new Error(`max-deliveries advisory contradicted by JetStream: ${why}`), EXHAUSTED_ADVISORY.replace('*', claim.consumer)),
      log: this.log,
    });
    this.records = new RecordWriter(store, this.log);
    this.sweepDispatch = new SweepDispatch(this.dispatcher, store, this.records, jsm, options.replicas, this.log);
    this.workers = new WorkerRegistry();
    this.reader = new ResultsReader(this.js, jsm, {
      onResult: (r) => this.onResult(r),
      onMalformed: (subject, err) => this.malformed.drop('results', err, subject),
      log: this.log,
    });
    this.reconciler = new Reconciler({
      sweeps: this.sweeps, workers: this.workers, dispatcher: this.dispatcher, exhausted: this.exhausted, store, records: this.records,
      sweepDispatch: this.sweepDispatch, reader: this.reader, adaptive: this.adaptive, metrics: this.metrics, jsm, replicas: options.replicas, log: this.log,
    });
  }

  /** Checks the options (InvalidOptionError), connects and rebuilds every sweep from JetStream. */
  static async start(options: CoordinatorOptions): Promise<Coordinator> {
    const o = compileCoordinatorOptions(options);
    const nc = await connectNats({ name: 'fairsweep-coordinator', ...o.nats });
    let c: Coordinator | undefined;
    try {
      const jsm = await whenReady(() => jetstreamManager(nc, { timeout: JETSTREAM_TIMEOUT_MS }));
      await ensureStreams(jsm, { replicas: o.replicas });
      const store = await whenReady(() => SweepStore.open(nc, jsm, o.replicas));
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
    // Adaptive searches are rebuilt before the results replay, which tells them every result.
    for (const sweep of this.sweeps.values()) {
      if (!sweep.finished && sweep.spec.search?.algorithm) this.adaptive.add(sweep.id, parseSpecText(sweep.record.specYaml, { maxTrials: Number.MAX_SAFE_INTEGER, maxTrialMemoryMb: Number.MAX_SAFE_INTEGER }));
    }
    this.workers.start(this.nc, this.readers, this.malformed);
    this.readers.add('events', this.malformed.reader(this.nc, EVENTS_SUBJECTS, 'events', (m) => decodeEvent(m.data), (ev) => this.onEvent(ev)));
    // A max-deliveries advisory is a claim, acted on once JetStream confirms it (ExhaustedShards).
    this.readers.add('advisories', this.malformed.reader(this.nc, EXHAUSTED_ADVISORY, 'advisories', (m) => exhaustedClaim(m.subject, m.data), (c) => void this.exhausted.claim(c)));
    await this.reader.start(this.readers);
    // Early stopping: each unfinished sweep's rung reports replayed, now that its results are known.
    for (const sweep of this.sweeps.values()) {
      if (!sweep.finished && sweep.spec.earlyStop) void this.earlyStops.add(sweep.id, sweep.spec.earlyStop, true);
    }
    // Sweeps whose dispatch was interrupted: publish again; JetStream drops the shards it already
    // has. One that cannot be dispatched fails; the others go on.
    for (const sweep of this.sweeps.values()) {
      if (sweep.phase === 'dispatching' && !(await this.sweepDispatch.resume(sweep))) this.ended(sweep);
      this.settle(sweep);
    }
    await this.adaptive.resume();
    this.reconciler.updateGauges();
    this.reconciler.start(this.options.reconcileIntervalMs);
    this.log.info('coordinator ready', { sweeps: this.sweeps.size, recorded: this.reader.count });
  }

  // ---- API -------------------------------------------------------------------------------

  async submit(specText: string): Promise<SubmitResponse> {
    const spec = parseSpecText(specText, { maxTrials: this.options.maxTrials, maxTrialMemoryMb: this.options.maxTrialMemoryMb });
    const id = `${spec.name}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`.slice(-63);
    const { totalTrials, totalShards, shardSize, shards } = planSweep(id, spec);
    const sweep = SweepLifecycle.create({
      id,
      spec: toSweepSpecMessage(spec, shardSize),
      specYaml: specText,
      totalTrials,
      totalShards,
      createdAtMs: Date.now(),
    });
    this.sweeps.set(id, sweep);
    try {
      // Before any shard goes out: workers write into the bucket but may not create it.
      if (spec.method === 'command') await createSweepArtifacts(this.nc, id, sweepArtifactBytes(spec.params), this.options.replicas);
      await this.sweepDispatch.submit(sweep, shards);
    } catch (err) {
      // Nothing of the sweep is kept (or what is left is being removed): it does not exist.
      // (Under the shipped NATS roles no one may delete a stream: there the empty bucket stays, logged.)
      if (spec.method === 'command') {
        await removeSweepArtifacts(this.nc, id).catch((e: unknown) => this.log.warn('could not remove the artifacts bucket of a refused sweep', { sweep: id, error: errorText(e) }));
      }
      this.sweeps.delete(id);
      sweep.removeAllListeners();
      this.log.warn('sweep refused', { sweep: id, trials: totalTrials, shards: totalShards, error: errorText(err) });
      throw err;
    }
    // An adaptive search: its first batches are the plan's shards.
    this.adaptive.add(id, spec);
    const earlyStop = sweep.spec.earlyStop;
    if (earlyStop) void this.earlyStops.add(id, earlyStop, false);
    this.log.info('sweep submitted', { sweep: id, trials: totalTrials, shards: totalShards });
    this.reconciler.updateGauges();
    return { sweepId: id, totalTrials, totalShards };
  }

  /** The sweep's record as reported: a state not stored yet says so in its reason. */
  get(id: string): { sweep: SweepRecord; progress: Progress } {
    const sweep = this.sweep(id);
    return { sweep: this.records.reported(sweep), progress: sweep.progress() };
  }

  /** A sweep's lifecycle, for reading it and following its events; throws SweepNotFoundError. */
  sweep(id: string): SweepLifecycle {
    if (!ID_PATTERN.test(id)) throw new InvalidArgumentError(`sweep_id: expected an id like "name-abc123", got ${JSON.stringify(id.slice(0, 80))}`);
    const sweep = this.sweeps.get(id);
    if (!sweep) throw new SweepNotFoundError(id);
    return sweep;
  }

  listSweeps(): SweepRecord[] {
    return [...this.sweeps.values()].map((s) => this.records.reported(s));
  }

  results(id: string): TrialResult[] {
    return [...this.sweep(id).results.values()].sort((a, b) => a.index - b.index);
  }

  frontier(id: string, objectives?: readonly Objective[], reference?: readonly number[]): Frontier {
    return this.sweepWithReference(id, objectives, reference).frontierFor(objectives, reference);
  }

  /** The frontier over configurations (seeds aggregated, ranked on the spec's selection): the Frontier RPC's default answer. */
  configurationFrontier(id: string, objectives?: readonly Objective[], reference?: readonly number[]): ConfigurationFrontier {
    const sweep = this.sweepWithReference(id, objectives, reference);
    const protocol = sweepProtocol(sweep.record);
    return sweepConfigurationFrontier({ sweepId: id, specObjectives: protocol.objectives, selection: protocol.selection, results: sweep.results.values(), ...(objectives ? { objectives } : {}), ...(reference ? { reference } : {}) });
  }

  /** The sweep, once a hypervolume reference point (if given) has one value per objective. */
  private sweepWithReference(id: string, objectives?: readonly Objective[], reference?: readonly number[]): SweepLifecycle {
    const sweep = this.sweep(id);
    const expected = objectives?.length || sweep.objectives.length;
    if (reference && reference.length > 0 && reference.length !== expected) {
      throw new InvalidArgumentError(`reference: expected ${expected} values (one per objective), got ${reference.length}`);
    }
    return sweep;
  }

  listWorkers(): WorkerInfo[] {
    return this.workers.list();
  }

  /**
   * Cancels a running sweep; a no-op for a cancelled one; SweepStateError for one that completed or
   * failed. Workers are told at once, then its consumer and queued shards go, then the cancelled
   * record is stored. A record JetStream does not take (its store full) is kept in memory and
   * stored later (RecordWriter): the sweep is stopped all the same, and Get's reason says that the
   * cancel is not stored yet.
   */
  async cancel(id: string): Promise<Progress> {
    const sweep = this.sweep(id);
    const record = sweep.cancel(Date.now());
    if (!record) return sweep.progress();
    this.ended(sweep);
    this.nc.publish(cancelSubject(id), new Uint8Array());
    try {
      await this.dispatcher.remove(id);
    } catch (err) {
      // The workers were told; reconcile removes the consumer and shards once JetStream answers.
      this.log.warn('could not remove a cancelled sweep\'s consumer and shards; will retry', { sweep: id, error: errorText(err) });
      this.sweepDispatch.removeLater(id);
    }
    const stored = await this.records.put(sweep);
    this.log.info('sweep cancelled', { sweep: id, done: sweep.done, total: record.totalTrials, stored });
    return sweep.progress();
  }

  /** Resolves when the results stream has been read up to its current end. */
  async caughtUp(): Promise<void> {
    await this.reader.caughtUp();
  }

  // ---- routing ---------------------------------------------------------------------------

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
    this.adaptive.onResult(r);
    this.metrics.observeResult(r, sweep.spec.method);
    this.settle(sweep);
  }

  private onEvent(ev: TrialEvent): void {
    const sweep = this.sweeps.get(ev.sweepId);
    if (!sweep) return;
    if (ev.kind === TrialEvent_Kind.KIND_STARTED) sweep.trialStarted(ev.trialId, { workerId: ev.workerId, attempt: ev.attempt, sinceMs: ev.atMs });
    else if (ev.kind === TrialEvent_Kind.KIND_RETRYING || ev.kind === TrialEvent_Kind.KIND_ABANDONED) sweep.trialRetrying(ev.trialId, ev.error);
    else if (ev.kind === TrialEvent_Kind.KIND_PROGRESS) {
      sweep.emit('trial-progress', ev);
      this.earlyStops.onProgress(ev);
    }
  }

  /**
   * A shard JetStream confirms ran out of delivery attempts: a failed result for each of its trials
   * that has none (a result JetStream already holds is kept). A throw leaves the shard to be tried again.
   */
  private async failExhausted(shard: Shard): Promise<void> {
    this.log.warn('shard exhausted its delivery attempts', { sweep: shard.sweepId, shard: shard.id, attempts: shard.maxAttempts });
    const failed = this.sweeps.get(shard.sweepId)?.shardExhausted(shard, Date.now()) ?? [];
    await Promise.all(failed.map((r) => this.publishResult(r)));
    this.metrics.exhausted.inc();
  }

  /** Publishes a result the coordinator made; a valid result already stored stands, garbage in its place is replaced. */
  private async publishResult(r: TrialResult): Promise<void> {
    const subject = resultSubject(r.sweepId, r.trialId);
    await publishToSlot(this.js, this.jsm, {
      stream: RESULTS_STREAM,
      subject,
      data: TrialResult.encode(r).finish(),
      msgID: r.trialId,
      belongs: (stored) => isResultOn(subject, stored),
      foreign: 'delete',
      onForeign: (seq) => this.log.warn('deleted a message that is not a result from the place of a result', { subject, seq }),
    });
  }

  // ---- lifecycle side effects ------------------------------------------------------------

  /** Ends the sweep if every trial has a result, and stores the outcome. */
  private settle(sweep: SweepLifecycle): void {
    const record = sweep.settle(Date.now());
    if (!record) return;
    this.log.info(record.state === SweepState.SWEEP_STATE_FAILED ? 'sweep failed' : 'sweep completed', { sweep: sweep.id, ok: sweep.ok, failed: sweep.failed, ...(record.reason ? { reason: record.reason } : {}) });
    void this.records.put(sweep);
    void this.dispatcher.remove(sweep.id).catch((err: unknown) => {
      this.log.warn('could not remove consumer; will retry', { sweep: sweep.id, error: errorText(err) });
      this.sweepDispatch.removeLater(sweep.id);
    });
    this.ended(sweep);
  }

  /** Queues more shards of a running sweep (an adaptive search's next batch); JetStream drops those it has. */
  private async publishShards(id: string, shards: readonly PlannedShard[]): Promise<void> {
    const sweep = this.sweeps.get(id);
    if (!sweep || sweep.finished) return;
    const spec = sweep.spec;
    await this.dispatcher.publish(this.dispatcher.encode({ sweepId: id, method: spec.method, ...(spec.dataset ? { dataset: spec.dataset } : {}), maxAttempts: spec.maxAttempts, selection: spec.selection, pack: spec.pack, shards }));
  }

  private ended(sweep: SweepLifecycle): void {
    this.adaptive.forget(sweep.id);
    this.earlyStops.forget(sweep.id);
    this.reconciler.forget(sweep.id);
    this.metrics.forgetSweep(sweep.id);
    this.reconciler.updateGauges();
  }

  /** Stops serving and disconnects; idempotent. Sweeps go on from JetStream when a coordinator starts again. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.reconciler.stop();
      for (const sweep of this.sweeps.values()) sweep.removeAllListeners();
      await this.readers.close().catch(() => undefined);
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
