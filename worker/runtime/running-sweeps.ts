import { millis, type NatsConnection } from '@nats-io/transport-node';
import type { Consumer, JetStreamClient } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { ID_PATTERN, SHARDS_STREAM, SWEEPS_BUCKET, SweepRecord, SweepState, sweepConsumerName } from '../../proto/index.js';
import { abortableDelay, errorText, isNotFound, type Logger, type ReaderSupervisor } from '../../common/index.js';
import type { WorkerMetrics } from './worker-metrics.js';

/** Ack deadline assumed when a consumer's configuration does not say (JetStream's default, 30 s). */
const DEFAULT_ACK_WAIT_NS = 30_000_000_000;
/** Pause before trying again while the sweeps bucket does not exist (no coordinator has started yet). */
const BUCKET_RETRY_MS = 500;
/** States a sweep record the coordinator wrote can be in. */
const RECORD_STATES: ReadonlySet<SweepState> = new Set([SweepState.SWEEP_STATE_RUNNING, SweepState.SWEEP_STATE_COMPLETED, SweepState.SWEEP_STATE_FAILED, SweepState.SWEEP_STATE_CANCELLED]);

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
 * The sweeps a worker pulls from: follows the sweeps bucket, which only the coordinator writes
 * (running sweeps are added; others dropped; cancelled or deleted ones reported), and looks up each
 * sweep's shard consumer once. An entry that is not a record of its key's sweep is dropped and
 * counted: what the worker knows of that sweep stands.
 */
export class RunningSweeps {
  private readonly sweeps = new Map<string, { consumer?: SweepConsumer }>();
  private kv: KV | undefined;

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

  /** Follows the sweeps bucket as the reader `sweeps` of `readers`, watched again if the watch ends. */
  watch(readers: ReaderSupervisor): void {
    readers.add('sweeps', (ready, signal) => this.read(ready, signal));
  }

  private async read(ready: () => void, signal: AbortSignal): Promise<void> {
    const kv = await new Kvm(this.nc).open(SWEEPS_BUCKET);
    for (;;) {
      try {
        // The bucket's current values are replayed first; applying them again is harmless.
        const iter = await kv.watch();
        this.kv = kv;
        const stop = (): void => iter.stop();
        signal.addEventListener('abort', stop, { once: true });
        try {
          if (signal.aborted) return stop();
          ready();
          for await (const e of iter) {
            try {
              this.onEntry(e);
            } catch (err) {
              this.log.error('handling a sweep record failed', { key: e.key, error: errorText(err) });
            }
          }
          return;
        } finally {
          signal.removeEventListener('abort', stop);
        }
      } catch (err) {
        // The bucket does not exist until a coordinator has started: look again shortly.
        if (!isNotFound(err)) throw err;
        this.log.debug('sweeps bucket not available yet', { error: errorText(err) });
        await abortableDelay(BUCKET_RETRY_MS, signal);
        if (signal.aborted) return;
      }
    }
  }

  private onEntry(e: KvEntry): void {
    if (!ID_PATTERN.test(e.key)) return this.dropEntry(e.key, 'not a sweep id');
    if (e.operation !== 'PUT') {
      // Deleted or purged: the sweep is over.
      this.sweeps.delete(e.key);
      this.events.onCancelled(e.key);
      return;
    }
    const state = recordState(e);
    if (state === undefined) return this.dropEntry(e.key, 'not a sweep record of this id');
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

  private dropEntry(key: string, why: string): void {
    this.metrics.malformed.inc({ subject: 'sweeps' });
    this.log.warn('unreadable sweep record; ignored', { key: key.slice(0, 200), error: why });
  }

  /**
   * A cancel message is only a hint: whether the sweep's record in the bucket says cancelled, or is
   * gone. False when it says anything else, cannot be read, or is not a record of this sweep.
   */
  async cancelConfirmed(sweepId: string): Promise<boolean> {
    if (!ID_PATTERN.test(sweepId) || !this.kv) return false;
    try {
      const e = await this.kv.get(sweepId);
      if (!e || e.operation !== 'PUT') return true;
      return recordState(e) === SweepState.SWEEP_STATE_CANCELLED;
    } catch (err) {
      this.log.warn('cannot read the record of a sweep said cancelled', { sweep: sweepId, error: errorText(err) });
      return false;
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

/** The state of a stored sweep record, or undefined when the entry is not a record of its key's sweep in a known state. */
function recordState(e: KvEntry): SweepState | undefined {
  try {
    const record = SweepRecord.decode(e.value);
    return record.id === e.key && RECORD_STATES.has(record.state) ? record.state : undefined;
  } catch {
    return undefined;
  }
}
