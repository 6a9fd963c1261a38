import { millis, type NatsConnection } from '@nats-io/transport-node';
import type { Consumer, JetStreamClient } from '@nats-io/jetstream';
import { Kvm, type KvWatchEntry } from '@nats-io/kv';
import { SHARDS_STREAM, SWEEPS_BUCKET, SweepRecord, SweepState, sweepConsumerName } from '../../proto/index.js';
import { errorText, type Logger } from '../../common/index.js';
import type { WorkerMetrics } from './worker-metrics.js';

/** Ack deadline assumed when a consumer's configuration does not say (JetStream's default, 30 s). */
const DEFAULT_ACK_WAIT_NS = 30_000_000_000;
/** Pause before watching the sweeps bucket again after its watch ended. */
const REWATCH_DELAY_MS = 250;
/** Pause before trying again while the sweeps bucket does not exist (no coordinator has started yet). */
const BUCKET_RETRY_MS = 500;

export interface SweepConsumer {
  consumer: Consumer;
  ackWaitMs: number;
}

export interface RunningSweepsEvents {
  /** A sweep started running: there may be shards to fetch. */
  onRunning(sweepId: string): void;
  /** A sweep was cancelled: its running shards stop. */
  onCancelled(sweepId: string): void;
}

/**
 * The sweeps a worker pulls from: follows the sweeps bucket (running sweeps are added; others
 * dropped, cancelled ones reported) and looks up each sweep's shard consumer once.
 */
export class RunningSweeps {
  private readonly sweeps = new Map<string, { consumer?: SweepConsumer }>();
  private watching = false;
  private stopWatch: (() => void) | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly events: RunningSweepsEvents,
    private readonly metrics: WorkerMetrics,
    private readonly log: Logger,
  ) {}

  /** Ids of the running sweeps, in the order they started. */
  ids(): string[] {
    return [...this.sweeps.keys()];
  }

  has(sweepId: string): boolean {
    return this.sweeps.has(sweepId);
  }

  /** Stops pulling from a sweep (cancelled). */
  delete(sweepId: string): void {
    this.sweeps.delete(sweepId);
  }

  /** Starts following the sweeps bucket; runs until `stop`. */
  watch(): void {
    if (this.watching) return;
    this.watching = true;
    void this.watchLoop();
  }

  stop(): void {
    this.watching = false;
    this.stopWatch?.();
  }

  private async watchLoop(): Promise<void> {
    while (this.watching) {
      try {
        const kv = await new Kvm(this.nc).open(SWEEPS_BUCKET);
        const iter = await kv.watch();
        this.stopWatch = () => iter.stop();
        if (!this.watching) iter.stop();
        for await (const e of iter) this.onEntry(e);
        // The watch ended without being stopped (e.g. its consumer was lost): watch again; the
        // bucket's current values are replayed and applying them twice is harmless.
        if (this.watching) {
          this.log.warn('sweeps watch ended; watching again');
          await delay(REWATCH_DELAY_MS);
        }
      } catch (err) {
        // The bucket does not exist until a coordinator has started: try again shortly.
        this.log.debug('sweeps bucket not available yet', { error: errorText(err) });
        await delay(BUCKET_RETRY_MS);
      }
    }
  }

  private onEntry(e: KvWatchEntry): void {
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
        this.events.onRunning(e.key);
      }
    } else {
      this.sweeps.delete(e.key);
      if (state === SweepState.SWEEP_STATE_CANCELLED) this.events.onCancelled(e.key);
    }
  }

  /** The sweep's shard consumer, looked up once; undefined while it is not running or has no consumer yet. */
  async consumer(sweepId: string): Promise<SweepConsumer | undefined> {
    const entry = this.sweeps.get(sweepId);
    if (!entry) return undefined;
    if (entry.consumer) return entry.consumer;
    try {
      const consumer = await this.js.consumers.get(SHARDS_STREAM, sweepConsumerName(sweepId));
      const info = await consumer.info(true);
      entry.consumer = { consumer, ackWaitMs: millis(info.config.ack_wait ?? DEFAULT_ACK_WAIT_NS) };
      return entry.consumer;
    } catch (err) {
      this.log.debug('sweep consumer not available', { sweep: sweepId, error: errorText(err) });
      return undefined;
    }
  }

  /** Forgets a sweep's consumer after a failed fetch: it is looked up again next time. */
  forgetConsumer(sweepId: string): void {
    const entry = this.sweeps.get(sweepId);
    if (entry) delete entry.consumer;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
