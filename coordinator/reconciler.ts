import type { JetStreamManager } from '@nats-io/jetstream';
import { errorText, type Logger } from '../common/index.js';
import type { CoordinatorMetrics } from './coordinator-metrics.js';
import { asJetStreamFailure } from './errors.js';
import type { Dispatcher } from './queue/dispatcher.js';
import type { ExhaustedShards } from './queue/exhausted-shards.js';
import { readStoreUsage } from './queue/store-usage.js';
import type { AdaptiveSweeps } from './search/index.js';
import type { RecordWriter } from './sweeps/record-writer.js';
import type { ResultsReader } from './sweeps/results-reader.js';
import type { SweepDispatch } from './sweeps/sweep-dispatch.js';
import type { SweepLifecycle } from './sweeps/sweep-lifecycle.js';
import type { SweepStore } from './sweeps/sweep-store.js';
import type { WorkerRegistry } from './workers/worker-registry.js';

/** What the periodic pass reads and retries: the coordinator's sweeps and collaborators. */
export interface ReconcilerParts {
  readonly sweeps: ReadonlyMap<string, SweepLifecycle>;
  readonly workers: WorkerRegistry;
  readonly dispatcher: Dispatcher;
  readonly exhausted: ExhaustedShards;
  readonly store: SweepStore;
  readonly records: RecordWriter;
  readonly sweepDispatch: SweepDispatch;
  readonly reader: ResultsReader;
  readonly adaptive: AdaptiveSweeps;
  readonly metrics: CoordinatorMetrics;
  readonly jsm: JetStreamManager;
  readonly replicas: number;
  readonly log: Logger;
}

/**
 * The coordinator's periodic check, and the gauges it keeps current: queue depth and store
 * gauges, the retries of what JetStream refused or did not answer, records garbage was written
 * over, and shards no worker can take any more (their exhaustion advisory was missed, e.g. while
 * this coordinator was down) — seen twice in a row, they are handled as exhausted.
 */
export class Reconciler {
  /** Per running sweep, the sequences of the shards left with nothing pending or in flight at the last pass. */
  private readonly suspectedExhausted = new Map<string, Set<number>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly parts: ReconcilerParts) {}

  /** Runs a pass now, then every `intervalMs` (a failed pass is logged) until `stop`. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.reconcile().catch((err: unknown) => this.parts.log.warn('reconcile failed', { error: errorText(err) })), intervalMs);
    this.timer.unref();
    void this.reconcile().catch(() => undefined);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Forgets an ended sweep's suspected shards. */
  forget(sweepId: string): void {
    this.suspectedExhausted.delete(sweepId);
  }

  /** Sets the per-sweep, per-state and worker gauges. */
  updateGauges(): void {
    this.parts.metrics.update(this.parts.sweeps.values(), this.parts.workers.list());
  }

  private async reconcile(): Promise<void> {
    const { sweeps, dispatcher, exhausted, metrics, records, sweepDispatch, reader, adaptive } = this.parts;
    this.updateGauges();
    await this.updateStoreGauges();
    await records.retry();
    await sweepDispatch.retry();
    await reader.checkStalled();
    await exhausted.recheck();
    await adaptive.retry();
    for (const sweep of sweeps.values()) {
      if (sweep.phase !== 'running') continue;
      await this.restoreRecord(sweep);
      const depth = await dispatcher.depth(sweep.id);
      if (!depth) {
        await dispatcher.ensureConsumer(sweep.id, sweep.spec.maxAttempts);
        continue;
      }
      metrics.queueDepth.set({ sweep: sweep.id }, depth.pending);
      metrics.shardsInFlight.set({ sweep: sweep.id }, depth.inFlight);
      if (depth.pending > 0 || depth.inFlight > 0 || sweep.done >= sweep.record.totalTrials) {
        this.suspectedExhausted.delete(sweep.id);
        continue;
      }
      const stuck = await dispatcher.remaining(sweep.id);
      const before = this.suspectedExhausted.get(sweep.id) ?? new Set<number>();
      const now = new Set(stuck.map((m) => m.seq));
      for (const seq of now) if (before.has(seq)) await exhausted.suspect(seq);
      this.suspectedExhausted.set(sweep.id, now);
    }
  }

  /**
   * A running sweep's entry in the sweeps bucket that is not its record (garbage written over it)
   * is written again, so a worker or coordinator starting later reads the real one. (Workers
   * ignore such an entry; a deleted record or another valid one is left as it is.)
   */
  private async restoreRecord(sweep: SweepLifecycle): Promise<void> {
    if ((await this.parts.store.entryState(sweep.id)) !== 'unreadable') return;
    this.parts.log.warn('sweep record overwritten by something that is not its record; writing it again', { sweep: sweep.id });
    this.parts.metrics.malformed.inc({ subject: 'sweeps' });
    await this.parts.records.put(sweep);
  }

  /** JetStream's file storage used, and its limit when the account has one (store-usage.ts). */
  private async updateStoreGauges(): Promise<void> {
    try {
      this.parts.metrics.observeStore(await readStoreUsage(this.parts.jsm, this.parts.replicas));
    } catch (err) {
      this.parts.log.warn('could not read JetStream storage usage', { error: errorText(asJetStreamFailure(err, 'while reading its storage usage')) });
    }
  }
}
