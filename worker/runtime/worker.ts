import { hostname } from 'node:os';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { CANCEL_SUBJECTS, STOP_TRIAL_SUBJECTS, WORKER_HEARTBEAT_SUBJECT, WorkerInfo, type Shard } from '../../proto/index.js';
import { ReaderSupervisor, connectNats, coreSubscriptionReader, whenReady, errorText, type Logger } from '../../common/index.js';
import type { Backend } from '../backend-types.js';
import { loadBackend } from '../backend.js';
import { PrefixCache } from '../methods/prefix-cache.js';
import { DataRoot } from '../datasets/data-root.js';
import { memoryBudget } from '../methods/memory-guard.js';
import { runShard, type ShardContext, type StopReason } from './shard-runner.js';
import { WorkerMetrics } from './worker-metrics.js';
import { compileWorkerOptions, type CompiledWorkerOptions, type WorkerOptions } from './worker-options.js';
import { WorkerLifecycle, type WorkerState } from './worker-lifecycle.js';
import { SlotScheduler, type FetchedShard } from './slot-scheduler.js';
import { RunningSweeps } from './running-sweeps.js';
import { WorkerCommandHost } from '../methods/command/worker-command-host.js';
import { StoreBackoff } from './store-backoff.js';
import { TrialStops } from './trial-stops.js';
import { isRecorded } from './result-publisher.js';

/** How long a pull request waits for a shard before the worker looks at other sweeps. */
const FETCH_EXPIRES_MS = 1_000;
/** The pull loop's idle wait with no running sweep, and with every slot busy (a freed slot or a new sweep wakes it sooner). */
const IDLE_NO_SWEEP_MS = 500;
const IDLE_SLOTS_BUSY_MS = 5_000;
/** Pauses of the pull loop after a sweep's consumer was not found, and after a failed fetch. */
const NO_CONSUMER_PAUSE_MS = 100;
const FETCH_FAILED_PAUSE_MS = 200;

/** A shard this worker is running. */
interface RunningShard {
  controller: AbortController;
  /** Known once the shard has decoded. */
  sweepId: string | undefined;
  /** Delivery attempt of the message (1 on the first). */
  deliveryCount: number;
  done: Promise<void>;
}

/**
 * A worker: pulls shards of running sweeps from their JetStream consumers (round robin, one per
 * free slot, as SlotScheduler decides), runs them (shard-runner.ts), and publishes results. Its
 * states (WorkerLifecycle): starting → running → draining → stopped.
 */
export class Worker {
  readonly metrics = new WorkerMetrics();
  trialsDone = 0;
  private readonly options: CompiledWorkerOptions;
  private readonly lifecycle = new WorkerLifecycle((state) => this.onState(state));
  private readonly scheduler: SlotScheduler;
  private readonly sweeps: RunningSweeps;
  private readonly storeBackoff: StoreBackoff;
  /** Aborted when the worker stops: ends a back-off wait. */
  private readonly halt = new AbortController();
  private readonly running = new Map<string, RunningShard>();
  /** The cache of expensive trial prefixes its slots share (WorkerOptions.prefixCache). */
  readonly prefixCache: PrefixCache;
  /** Where its trials read dataset files (WorkerOptions.dataDir); undefined: they read none. */
  readonly dataRoot: DataRoot | undefined;
  /** What its command trials get (WorkerOptions.command). */
  readonly commandHost: WorkerCommandHost;
  /** Its running trials, each stoppable by the coordinator's early stopping. */
  private readonly trialStops = new TrialStops();
  private backendPromise: Promise<Backend> | undefined;
  private backendLoaded: Backend | undefined;
  /**
   * The worker's NATS readers (cancel messages, the sweeps bucket), restarted with a back-off when
   * one closes; `healthy` is false while one is down (the gRPC health status follows).
   */
  readonly readers: ReaderSupervisor;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  private rr = 0;
  private readonly startedAtMs = Date.now();
  private readonly log: Logger;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    options: CompiledWorkerOptions,
  ) {
    this.options = options;
    this.log = options.log.child({ worker: options.id });
    this.scheduler = new SlotScheduler(options.slots, options.prefetchMaxShardMs);
    this.prefixCache = new PrefixCache(options.prefixCache.maxBytes, options.prefixCache.enabled);
    this.dataRoot = options.dataDir === undefined ? undefined : new DataRoot(options.dataDir, options.maxDataBytes);
    this.commandHost = new WorkerCommandHost(options.command, nc, options.id, this.log);
    this.readers = new ReaderSupervisor(this.log);
    this.sweeps = new RunningSweeps(nc, js, { onRunning: () => this.wake?.(), onCancelled: (id) => this.abortSweep(id, 'cancelled') }, this.metrics, this.log);
    this.storeBackoff = new StoreBackoff(this.log, {
      // Shards held for the next free slot go back to the queue: no slot starts one until results are stored again.
      onStart: () => this.scheduler.returnHeld(),
      onDelay: (ms) => this.metrics.storeBackoff.set(ms / 1000),
    });
    this.metrics.slots.set(options.slots);
  }

  /** Checks the options (WorkerOptionError names a bad one), connects, and starts running. */
  static async start(options: WorkerOptions): Promise<Worker> {
    const compiled = compileWorkerOptions(options);
    const nc = await connectNats({ name: 'fairsweep-worker', ...compiled.nats });
    let jsm: JetStreamManager;
    try {
      jsm = await whenReady(() => jetstreamManager(nc));
    } catch (err) {
      await nc.close();
      throw err;
    }
    const w = new Worker(nc, jetstream(nc), jsm, compiled);
    try {
      await w.init();
    } catch (err) {
      await w.stop().catch(() => undefined);
      throw err;
    }
    return w;
  }

  get id(): string {
    return this.options.id;
  }

  get slots(): number {
    return this.options.slots;
  }

  get state(): WorkerState {
    return this.lifecycle.state;
  }

  get backendName(): string {
    return this.backendLoaded?.name ?? (this.options.backend === 'none' ? 'none' : 'loading');
  }

  get gpu(): number {
    return this.backendLoaded?.gpu ?? -1;
  }

  /** The accelerator's name ('' on a CPU backend or before one is loaded). */
  get device(): string {
    return this.backendLoaded?.device ?? '';
  }

  get busy(): number {
    return this.scheduler.busy;
  }

  info(): WorkerInfo {
    return {
      id: this.id,
      backend: this.backendName,
      gpu: this.gpu,
      device: this.device,
      slots: this.slots,
      busy: this.busy,
      state: this.state,
      grpcAddress: this.options.grpcAddress,
      hostname: hostname(),
      startedAtMs: this.startedAtMs,
      trialsDone: this.trialsDone,
    };
  }

  private backend(): Promise<Backend> {
    const { gpu, gpuAdapter, dawnFlags, backend } = this.options;
    this.backendPromise ??= loadBackend({
      ...(gpu !== undefined ? { gpu } : {}),
      ...(gpuAdapter !== undefined ? { gpuAdapter } : {}),
      dawnFlags,
      log: (msg, level) => this.log[level](msg),
      ...(backend !== 'auto' && backend !== 'none' ? { prefer: [backend] } : {}),
    }).then((b) => {
      this.backendLoaded = b;
      this.metrics.backend.set({ backend: b.name, device: b.device, gpu: String(b.gpu) }, 1);
      this.log.info('backend loaded', { backend: b.name, gpu: b.gpu, device: b.device });
      return b;
    });
    return this.backendPromise;
  }

  private async init(): Promise<void> {
    if (this.options.backend !== 'none') await this.backend();
    this.readers.add('cancel', coreSubscriptionReader(this.nc, CANCEL_SUBJECTS, (msg) => this.onCancelHint(msg), this.log));
    this.readers.add('stop', coreSubscriptionReader(this.nc, STOP_TRIAL_SUBJECTS, (msg) => this.onStopHint(msg), this.log));
    this.heartbeatTimer = setInterval(() => this.publishHeartbeat(), this.options.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
    this.sweeps.watch(this.readers);
    this.lifecycle.to('running');
    this.loop = this.pullLoop();
    this.log.info('worker running', { slots: this.slots, backend: this.backendName });
  }

  /** Each new state is announced at once (the coordinator's registry and Describe show it). */
  private onState(state: WorkerState): void {
    this.publishHeartbeat();
    this.log.debug('worker state', { state });
  }

  private publishHeartbeat(): void {
    if (this.nc.isClosed()) return;
    try {
      this.nc.publish(WORKER_HEARTBEAT_SUBJECT, WorkerInfo.encode(this.info()).finish());
    } catch (err) {
      this.log.debug('heartbeat not sent', { error: errorText(err) });
    }
  }

  /**
   * A cancel message names a sweep, and anyone allowed to publish on its subject can send one: the
   * sweep stops here only if its record, written by the coordinator, says it was cancelled (or is gone).
   */
  private onCancelHint(msg: Msg): void {
    const sweepId = msg.subject.split('.').pop() ?? '';
    void this.sweeps.cancelConfirmed(sweepId).then((cancelled) => {
      if (cancelled) {
        this.abortSweep(sweepId, 'cancelled');
        return;
      }
      this.metrics.malformed.inc({ subject: 'cancel' });
      this.log.warn('cancel message for a sweep whose record does not say cancelled; ignored', { sweep: sweepId.slice(0, 200) });
    });
  }

  /**
   * The coordinator stopped a trial early (early_stop): the message names the sweep (subject) and
   * the trial (payload). The trial stops here if it runs here and its result is recorded.
   */
  private onStopHint(msg: Msg): void {
    const sweepId = msg.subject.split('.').pop() ?? '';
    const trialId = new TextDecoder().decode(msg.data);
    void this.trialStops.stop(sweepId, trialId, (s, t) => isRecorded(this.jsm, s, t)).then((outcome) => {
      if (outcome === 'unconfirmed') this.log.warn('stop message for a trial whose result is not recorded; ignored', { sweep: sweepId.slice(0, 200), trial: trialId.slice(0, 200) });
    });
  }

  private abortSweep(sweepId: string, reason: StopReason): void {
    this.sweeps.delete(sweepId);
    for (const r of this.running.values()) if (r.sweepId === sweepId) r.controller.abort(reason);
  }

  /** Pulls until the worker drains; an unexpected failure of one round is logged and the next one runs after a pause. */
  private async pullLoop(): Promise<void> {
    while (this.lifecycle.accepting) {
      try {
        if (this.storeBackoff.active) {
          await this.storeBackoff.wait(this.halt.signal);
          continue;
        }
        await this.pullRound();
      } catch (err) {
        this.log.error('pulling shards failed', { error: errorText(err) });
        await delay(FETCH_FAILED_PAUSE_MS);
      }
    }
  }

  /** One round of the pull loop: waits for a free slot and a sweep, or fetches shards of the next sweep in turn. */
  private async pullRound(): Promise<void> {
    const redeliveryRunning = [...this.running.values()].some((r) => r.deliveryCount > 1);
    const free = this.scheduler.wanted(redeliveryRunning);
    const ids = this.sweeps.ids();
    const sweepId = ids[this.rr % Math.max(1, ids.length)];
    if (free <= 0 || sweepId === undefined) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, sweepId === undefined ? IDLE_NO_SWEEP_MS : IDLE_SLOTS_BUSY_MS).unref();
      });
      this.wake = undefined;
      return;
    }
    this.rr++;
    const c = await this.sweeps.consumer(sweepId);
    if (!c) {
      await delay(NO_CONSUMER_PAUSE_MS);
      return;
    }
    try {
      const batch = await c.consumer.fetch({ max_messages: free, expires: FETCH_EXPIRES_MS });
      for await (const m of batch) {
        // Shards fetched as results stopped being stored wait out the back-off in the queue.
        if (this.storeBackoff.active) m.nak(this.storeBackoff.delay);
        else if (this.lifecycle.accepting) this.admit({ msg: m, ackWaitMs: c.ackWaitMs });
        else m.nak();
      }
    } catch (err) {
      this.sweeps.forgetConsumer(sweepId);
      this.log.debug('fetch failed', { sweep: sweepId, error: errorText(err) });
      await delay(FETCH_FAILED_PAUSE_MS);
    }
  }

  /** Runs a fetched shard now if a slot is free, else the scheduler holds it for the next free slot. */
  private admit(shard: FetchedShard): void {
    if (this.scheduler.admit(shard)) this.startShard(shard);
    this.metrics.busy.set(this.scheduler.busy);
  }

  /** Runs a shard in a slot the scheduler has already given it. */
  private startShard({ msg, ackWaitMs }: FetchedShard): void {
    const controller = new AbortController();
    const key = `${msg.info.stream}:${msg.seq}:${msg.info.deliveryCount}`;
    const entry: RunningShard = { controller, sweepId: undefined, deliveryCount: msg.info.deliveryCount, done: Promise.resolve() };
    const ctx: ShardContext = {
      nc: this.nc,
      js: this.js,
      jsm: this.jsm,
      workerId: this.id,
      backendName: () => this.backendName,
      deviceName: () => this.device,
      backend: () => this.backend(),
      prefixCache: this.prefixCache,
      dataRoot: this.dataRoot,
      command: this.commandHost,
      memoryBudget: memoryBudget(this.options.memoryMb, this.options.slots),
      metrics: this.metrics,
      log: this.log,
      ackWaitMs,
      onTrialDone: () => {
        this.trialsDone++;
      },
      storeBackoff: this.storeBackoff,
      trialStops: this.trialStops,
    };
    this.running.set(key, entry);
    let released = false;
    const started = performance.now();
    const release = (): void => {
      if (released) return;
      released = true;
      this.releaseSlot(performance.now() - started);
    };
    const onDecoded = (s: Shard): void => {
      entry.sweepId = s.sweepId;
      // The sweep is no longer running (cancelled while this shard was in flight).
      if (!this.sweeps.has(s.sweepId) && this.lifecycle.accepting) controller.abort('cancelled');
    };
    entry.done = runShard(msg, ctx, controller, release, onDecoded)
      .catch((err: unknown) => this.log.error('shard runner failed', { error: errorText(err) }))
      .finally(() => {
        this.running.delete(key);
        release();
      });
  }

  private releaseSlot(ms: number): void {
    const next = this.scheduler.release(ms, this.lifecycle.accepting && !this.storeBackoff.active);
    if (next) this.startShard(next);
    this.metrics.busy.set(this.scheduler.busy);
    this.wake?.();
  }

  /**
   * Stops taking shards; running ones finish (or, with handBack, are aborted and returned to the
   * queue at once); then the worker disconnects. Idempotent.
   */
  drain(options: { handBack?: boolean } = {}): Promise<void> {
    if (options.handBack) for (const r of this.running.values()) r.controller.abort('hand-back');
    return this.stop();
  }

  /** running (or starting) → draining → stopped, every step run even when an earlier one fails. Idempotent. */
  private stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.lifecycle.to('draining');
      this.halt.abort();
      this.wake?.();
      await this.loop?.catch(() => undefined);
      this.cleanup('return held shards', () => this.scheduler.returnHeld());
      // Shard runs never reject (startShard logs their failures).
      await Promise.all([...this.running.values()].map((r) => r.done));
      await this.readers.close().catch((err: unknown) => this.log.warn('worker stop: a step failed', { step: 'stop the readers', error: errorText(err) }));
      clearInterval(this.heartbeatTimer);
      await this.commandHost.close();
      this.lifecycle.to('stopped');
      await this.nc.drain().catch(() => this.nc.close());
      this.log.info('worker stopped', { trials: this.trialsDone });
    })();
    return this.stopping;
  }

  /** One step of stopping: a failure is logged and the next step runs. */
  private cleanup(step: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.warn('worker stop: a step failed', { step, error: errorText(err) });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drain();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
