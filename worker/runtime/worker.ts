import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { millis, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type Consumer, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { Kvm, type KvWatchEntry } from '@nats-io/kv';
import { CANCEL_SUBJECTS, SHARDS_STREAM, SWEEPS_BUCKET, SweepRecord, SweepState, WORKER_HEARTBEAT_SUBJECT, WorkerInfo, sweepConsumerName, type Shard } from '../../proto/index.js';
import { connectNats, whenReady, errorText, silentLogger, type Logger, type NatsClientOptions } from '../../common/index.js';
import type { Backend, BackendName } from '../backend-types.js';
import { loadBackend } from '../backend.js';
import { runShard, type ShardContext, type StopReason } from './shard-runner.js';
import { WorkerMetrics } from './worker-metrics.js';

export type WorkerState = 'starting' | 'running' | 'draining' | 'stopped';

export interface WorkerOptions {
  nats: NatsClientOptions;
  /** Shards run at once. Default 1 (one trial at a time per GPU). */
  slots?: number;
  /** GPU index; selects the tfjs-node-gpu backend when it is installed. */
  gpu?: number;
  /** Worker id; default HOST-PID-RANDOM. */
  id?: string;
  /** Forces a backend, or 'none' to load none until a trial needs one. Default: best available. */
  backend?: BackendName | 'auto' | 'none';
  /** Address reported in heartbeats for the worker's gRPC server. */
  grpcAddress?: string;
  log?: Logger;
}

export const DEFAULT_SLOTS = 1;
export const HEARTBEAT_INTERVAL_MS = 2_000;
/**
 * Shards a worker holds per slot beyond the running ones, fetched while every slot is busy: slots
 * started together free together, and each then starts a held shard instead of waiting for a fetch.
 */
const PREFETCH_PER_SLOT = 1;
/**
 * Prefetch only while this worker's shards take less than this (moving average). A held shard
 * saves one fetch round trip (milliseconds), which matters for short shards; for long ones it saves
 * nothing and may leave another worker idle for a whole shard (two 6-minute trials, two workers).
 */
export const PREFETCH_MAX_SHARD_MS = 1_000;
/** Weight of the newest shard in the moving average of shard durations. */
const SHARD_MS_ALPHA = 0.3;
/** How long a pull request waits for a shard before the worker looks at other sweeps. */
const FETCH_EXPIRES_MS = 1_000;

/**
 * A worker: pulls shards of running sweeps from their JetStream consumers (round robin, one per
 * free slot), runs them, and publishes results. starting → running → draining → stopped.
 */
export class Worker {
  readonly id: string;
  readonly slots: number;
  readonly metrics = new WorkerMetrics();
  state: WorkerState = 'starting';
  trialsDone = 0;
  private readonly running = new Map<JsMsgKey, { controller: AbortController; sweepId: string | undefined; done: Promise<void> }>();
  private readonly sweeps = new Map<string, { consumer?: Consumer; ackWaitMs?: number }>();
  /** Slots whose shard is still running trials (a shard frees its slot before its final acks). */
  private busySlots = 0;
  /** Shards fetched ahead while every slot is busy, so a freed slot starts at once. */
  private readonly prefetched: { msg: JsMsg; ackWaitMs: number; timer: NodeJS.Timeout }[] = [];
  private rr = 0;
  /** Moving average of how long this worker's shards held their slot (ms); undefined before the first. */
  private shardMs: number | undefined;
  private backendPromise: Promise<Backend> | undefined;
  private backendLoaded: Backend | undefined;
  private readonly subs: Subscription[] = [];
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  private readonly startedAtMs = Date.now();
  private readonly log: Logger;
  private js!: JetStreamClient;
  private jsm!: JetStreamManager;
  private watchStop: (() => void) | undefined;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly options: WorkerOptions,
  ) {
    this.id = options.id ?? `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
    this.slots = options.slots ?? DEFAULT_SLOTS;
    this.log = (options.log ?? silentLogger).child({ worker: this.id });
    this.metrics.slots.set(this.slots);
  }

  static async start(options: WorkerOptions): Promise<Worker> {
    if (options.slots !== undefined && !(Number.isInteger(options.slots) && options.slots >= 1 && options.slots <= 1024)) {
      throw new RangeError(`slots: expected an integer from 1 to 1024, got ${options.slots}`);
    }
    const nc = await connectNats({ name: 'fairsweep-worker', ...options.nats });
    const w = new Worker(nc, options);
    try {
      await w.init();
    } catch (err) {
      await w.stop().catch(() => undefined);
      throw err;
    }
    return w;
  }

  get backendName(): string {
    return this.backendLoaded?.name ?? (this.options.backend === 'none' ? 'none' : 'loading');
  }

  get gpu(): number {
    return this.backendLoaded?.gpu ?? -1;
  }

  get busy(): number {
    return this.busySlots;
  }

  info(): WorkerInfo {
    return {
      id: this.id,
      backend: this.backendName,
      gpu: this.gpu,
      slots: this.slots,
      busy: this.busy,
      state: this.state,
      grpcAddress: this.options.grpcAddress ?? '',
      hostname: hostname(),
      startedAtMs: this.startedAtMs,
      trialsDone: this.trialsDone,
    };
  }

  private backend(): Promise<Backend> {
    this.backendPromise ??= loadBackend({
      ...(this.options.gpu !== undefined ? { gpu: this.options.gpu } : {}),
      ...(this.options.backend && this.options.backend !== 'auto' && this.options.backend !== 'none' ? { prefer: [this.options.backend] } : {}),
    }).then((b) => {
      this.backendLoaded = b;
      this.log.info('backend loaded', { backend: b.name, gpu: b.gpu });
      return b;
    });
    return this.backendPromise;
  }

  private async init(): Promise<void> {
    this.jsm = await whenReady(() => jetstreamManager(this.nc));
    this.js = jetstream(this.nc);
    if (this.options.backend !== 'none') await this.backend();
    this.subs.push(
      this.nc.subscribe(CANCEL_SUBJECTS, {
        callback: (err, msg) => {
          if (err) return;
          const sweepId = msg.subject.split('.').pop() ?? '';
          this.abortSweep(sweepId, 'cancelled');
        },
      }),
    );
    this.heartbeatTimer = setInterval(() => this.publishHeartbeat(), HEARTBEAT_INTERVAL_MS);
    this.heartbeatTimer.unref();
    void this.watchSweeps();
    this.state = 'running';
    this.publishHeartbeat();
    this.loop = this.pullLoop();
    this.log.info('worker running', { slots: this.slots, backend: this.backendName });
  }

  private publishHeartbeat(): void {
    if (this.nc.isClosed()) return;
    try {
      this.nc.publish(WORKER_HEARTBEAT_SUBJECT, WorkerInfo.encode(this.info()).finish());
    } catch (err) {
      this.log.debug('heartbeat not sent', { error: errorText(err) });
    }
  }

  /** Follows the sweeps bucket: running sweeps are pulled from; others are dropped (and aborted). */
  private async watchSweeps(): Promise<void> {
    while (this.state === 'starting' || this.state === 'running') {
      try {
        const kv = await new Kvm(this.nc).open(SWEEPS_BUCKET);
        const iter = await kv.watch();
        this.watchStop = () => iter.stop();
        for await (const e of iter) this.onSweepEntry(e);
        // The watch ended without being stopped (e.g. its consumer was lost): watch again; the
        // bucket's current values are replayed and applying them twice is harmless.
        if (this.state === 'starting' || this.state === 'running') {
          this.log.warn('sweeps watch ended; watching again');
          await new Promise((r) => setTimeout(r, 250));
        }
      } catch (err) {
        // The bucket does not exist until a coordinator has started: try again shortly.
        this.log.debug('sweeps bucket not available yet', { error: errorText(err) });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private onSweepEntry(e: KvWatchEntry): void {
    let state = SweepState.SWEEP_STATE_UNSPECIFIED;
    if (e.operation === 'PUT' && e.value.length > 0) {
      try {
        state = SweepRecord.decode(e.value).state;
      } catch (err) {
        this.metrics.malformed.inc({ subject: 'sweeps' });
        this.log.warn('unreadable sweep record', { key: e.key, error: errorText(err) });
        return;
      }
    }
    if (state === SweepState.SWEEP_STATE_RUNNING) {
      if (!this.sweeps.has(e.key)) {
        this.sweeps.set(e.key, {});
        this.wake?.();
      }
    } else {
      this.sweeps.delete(e.key);
      if (state === SweepState.SWEEP_STATE_CANCELLED) this.abortSweep(e.key, 'cancelled');
    }
  }

  private abortSweep(sweepId: string, reason: StopReason): void {
    this.sweeps.delete(sweepId);
    for (const r of this.running.values()) if (r.sweepId === sweepId) r.controller.abort(reason);
  }

  private async consumerFor(sweepId: string): Promise<{ consumer: Consumer; ackWaitMs: number } | undefined> {
    const entry = this.sweeps.get(sweepId);
    if (!entry) return undefined;
    if (entry.consumer && entry.ackWaitMs) return { consumer: entry.consumer, ackWaitMs: entry.ackWaitMs };
    try {
      const consumer = await this.js.consumers.get(SHARDS_STREAM, sweepConsumerName(sweepId));
      const info = await consumer.info(true);
      entry.consumer = consumer;
      entry.ackWaitMs = millis(info.config.ack_wait ?? 30_000_000_000);
      return { consumer, ackWaitMs: entry.ackWaitMs };
    } catch (err) {
      this.log.debug('sweep consumer not available', { sweep: sweepId, error: errorText(err) });
      return undefined;
    }
  }

  private async pullLoop(): Promise<void> {
    while (this.state === 'running') {
      const free = this.wanted();
      const ids = [...this.sweeps.keys()];
      if (free <= 0 || ids.length === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, ids.length === 0 ? 500 : 5_000).unref();
        });
        this.wake = undefined;
        continue;
      }
      const sweepId = ids[this.rr++ % ids.length] as string;
      const c = await this.consumerFor(sweepId);
      if (!c) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      try {
        const batch = await c.consumer.fetch({ max_messages: free, expires: FETCH_EXPIRES_MS });
        for await (const m of batch) {
          if (this.state !== 'running') {
            m.nak();
            continue;
          }
          this.accept(m, c.ackWaitMs);
        }
      } catch (err) {
        const entry = this.sweeps.get(sweepId);
        if (entry) delete entry.consumer;
        this.log.debug('fetch failed', { sweep: sweepId, error: errorText(err) });
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /**
   * Shards to fetch now: enough to fill the idle slots; then one per slot to hold ready only
   * while shards are short here (PREFETCH_MAX_SHARD_MS) and every running shard is on its first
   * delivery. A redelivered shard may be a poison that kills this process, and a shard held beside
   * it would lose a delivery attempt with it.
   */
  private wanted(): number {
    const idle = this.slots - this.busySlots - this.prefetched.length;
    if (idle > 0) return idle;
    if (this.shardMs === undefined || this.shardMs >= PREFETCH_MAX_SHARD_MS) return 0;
    const suspect = [...this.running.keys()].some((k) => Number(k.slice(k.lastIndexOf(':') + 1)) > 1);
    return suspect ? 0 : this.slots - this.busySlots + PREFETCH_PER_SLOT * this.slots - this.prefetched.length;
  }

  /** Runs a fetched shard now if a slot is free, else keeps it (heartbeating) for the next free slot. */
  private accept(m: JsMsg, ackWaitMs: number): void {
    if (this.busySlots < this.slots) {
      this.startShard(m, ackWaitMs);
      return;
    }
    const timer = setInterval(() => m.working(), Math.max(100, Math.floor(ackWaitMs / 3)));
    this.prefetched.push({ msg: m, ackWaitMs, timer });
  }

  private releaseSlot(): void {
    this.busySlots--;
    this.metrics.busy.set(this.busySlots);
    const next = this.state === 'running' ? this.prefetched.shift() : undefined;
    if (next) {
      clearInterval(next.timer);
      this.startShard(next.msg, next.ackWaitMs);
    }
    this.wake?.();
  }

  /** Returns prefetched shards to the queue (drain). */
  private returnPrefetched(): void {
    for (const p of this.prefetched.splice(0)) {
      clearInterval(p.timer);
      p.msg.nak();
    }
  }

  private startShard(m: JsMsg, ackWaitMs: number): void {
    const controller = new AbortController();
    const key: JsMsgKey = `${m.info.stream}:${m.seq}:${m.info.deliveryCount}`;
    const slot: { controller: AbortController; sweepId: string | undefined; done: Promise<void> } = { controller, sweepId: undefined, done: Promise.resolve() };
    const ctx: ShardContext = {
      nc: this.nc,
      js: this.js,
      jsm: this.jsm,
      workerId: this.id,
      backendName: () => this.backendName,
      backend: () => this.backend(),
      metrics: this.metrics,
      log: this.log,
      ackWaitMs,
      onTrialDone: () => {
        this.trialsDone++;
      },
    };
    this.running.set(key, slot);
    this.busySlots++;
    this.metrics.busy.set(this.busySlots);
    let released = false;
    const started = performance.now();
    const release = (): void => {
      if (released) return;
      released = true;
      const ms = performance.now() - started;
      this.shardMs = this.shardMs === undefined ? ms : this.shardMs + SHARD_MS_ALPHA * (ms - this.shardMs);
      this.releaseSlot();
    };
    slot.done = runShard(m, ctx, controller, release, (s: Shard) => {
      slot.sweepId = s.sweepId;
      if (!this.sweeps.has(s.sweepId) && this.state === 'running') {
        // The sweep is no longer running (cancelled while this shard was in flight).
        controller.abort('cancelled');
      }
    })
      .then(
        () => undefined,
        (err: unknown) => this.log.error('shard runner failed', { error: errorText(err) }),
      )
      .finally(() => {
        this.running.delete(key);
        release();
      });
  }

  /**
   * Stops taking shards; running ones finish (or, with handBack, are aborted and returned to the
   * queue at once); then the worker disconnects. Idempotent.
   */
  drain(options: { handBack?: boolean } = {}): Promise<void> {
    if (options.handBack) for (const r of this.running.values()) r.controller.abort('hand-back');
    return this.stop();
  }

  private stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.state !== 'stopped') this.state = 'draining';
      this.publishHeartbeat();
      this.wake?.();
      await this.loop?.catch(() => undefined);
      this.returnPrefetched();
      await Promise.all([...this.running.values()].map((r) => r.done));
      this.watchStop?.();
      for (const s of this.subs) s.unsubscribe();
      if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
      this.state = 'stopped';
      this.publishHeartbeat();
      await this.nc.drain().catch(() => this.nc.close());
      this.log.info('worker stopped', { trials: this.trialsDone });
    })();
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drain();
  }
}

type JsMsgKey = string;
