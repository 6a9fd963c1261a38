import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { SweepState, TrialStatus, type TrialResult, type WorkerInfo } from '../proto/index.js';
import type { StoreUsage } from './queue/store-usage.js';
import type { SweepLifecycle } from './sweeps/sweep-lifecycle.js';

/** Label values of `fairsweep_sweeps`: the states a sweep can be in. */
const SWEEP_STATES = ['running', 'completed', 'failed', 'cancelled'] as const;

const stateName = (s: SweepState): string => (SweepState[s] ?? 'SWEEP_STATE_UNSPECIFIED').replace('SWEEP_STATE_', '').toLowerCase();

/**
 * The coordinator's Prometheus metrics (prefix `fairsweep_`), on its own registry. No name is
 * shared with a worker's metrics except the default process metrics (tests/metric-names.test.ts).
 */
export class CoordinatorMetrics {
  readonly registry = new Registry();
  readonly trials = new Gauge({ name: 'fairsweep_trials', help: 'Trials by sweep and state (queued, running, ok, failed, pruned)', labelNames: ['sweep', 'state'] as const, registers: [this.registry] });
  readonly trialsCompleted = new Counter({ name: 'fairsweep_trials_completed_total', help: 'Trial results recorded with status ok', labelNames: ['method'] as const, registers: [this.registry] });
  readonly trialsPruned = new Counter({ name: 'fairsweep_trials_pruned_total', help: 'Trial results recorded with status pruned (stopped early by early_stop)', labelNames: ['method'] as const, registers: [this.registry] });
  readonly trialsFailed = new Counter({ name: 'fairsweep_trials_failed_total', help: 'Trial results recorded with status failed', labelNames: ['method'] as const, registers: [this.registry] });
  readonly trialDuration = new Histogram({
    name: 'fairsweep_trial_duration_seconds',
    help: 'Wall time of recorded trials (worker start to finish)',
    labelNames: ['method'] as const,
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200],
    registers: [this.registry],
  });
  readonly attempts = new Histogram({ name: 'fairsweep_trial_attempts', help: 'Delivery attempts a recorded trial took', buckets: [1, 2, 3, 5, 10], registers: [this.registry] });
  readonly queueDepth = new Gauge({ name: 'fairsweep_queue_depth', help: 'Shards waiting (not yet delivered) per sweep', labelNames: ['sweep'] as const, registers: [this.registry] });
  readonly shardsInFlight = new Gauge({ name: 'fairsweep_shards_in_flight', help: 'Shards delivered and not yet acknowledged per sweep', labelNames: ['sweep'] as const, registers: [this.registry] });
  readonly workersConnected = new Gauge({ name: 'fairsweep_workers_connected', help: 'Workers whose heartbeat is current', registers: [this.registry] });
  // `fairsweep_cluster_*`: totals over every connected worker, from their heartbeats. Each worker
  // exports its own slots as `fairsweep_worker_slots` / `fairsweep_worker_busy_slots`.
  readonly clusterSlots = new Gauge({ name: 'fairsweep_cluster_worker_slots', help: 'Trial slots of all connected workers together', registers: [this.registry] });
  readonly clusterBusySlots = new Gauge({ name: 'fairsweep_cluster_worker_busy_slots', help: 'Busy trial slots of all connected workers together', registers: [this.registry] });
  readonly frontierSize = new Gauge({ name: 'fairsweep_frontier_size', help: 'Pareto frontier size per sweep', labelNames: ['sweep'] as const, registers: [this.registry] });
  readonly hypervolume = new Gauge({ name: 'fairsweep_frontier_hypervolume', help: '2-D hypervolume of the frontier per sweep', labelNames: ['sweep'] as const, registers: [this.registry] });
  readonly sweeps = new Gauge({ name: 'fairsweep_sweeps', help: 'Sweeps by state (running, completed, failed, cancelled)', labelNames: ['state'] as const, registers: [this.registry] });
  readonly malformed = new Counter({ name: 'fairsweep_malformed_messages_total', help: 'Messages that did not decode and were dropped', labelNames: ['subject'] as const, registers: [this.registry] });
  readonly duplicates = new Counter({ name: 'fairsweep_duplicate_results_total', help: 'Result messages for trials already recorded (ignored)', registers: [this.registry] });
  readonly exhausted = new Counter({ name: 'fairsweep_shards_exhausted_total', help: 'Shards that ran out of delivery attempts', registers: [this.registry] });
  // JetStream's file store as fairsweep's account sees it, read at each reconcile. The limit is 0
  // when the account has none of its own (nats-server's max_file_store is not visible to clients).
  readonly storeUsed = new Gauge({ name: 'fairsweep_jetstream_storage_bytes', help: 'JetStream file storage used by the account fairsweep runs in', registers: [this.registry] });
  readonly storeLimit = new Gauge({ name: 'fairsweep_jetstream_storage_limit_bytes', help: 'JetStream file storage limit of the account fairsweep runs in (0: the account has none of its own)', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Sets the per-sweep, per-state and worker gauges from the sweeps and the connected workers. */
  update(sweeps: Iterable<SweepLifecycle>, workers: readonly WorkerInfo[]): void {
    const byState = new Map<string, number>();
    for (const sweep of sweeps) {
      const state = stateName(sweep.record.state);
      byState.set(state, (byState.get(state) ?? 0) + 1);
      this.frontierSize.set({ sweep: sweep.id }, sweep.frontierSize());
      const hv = sweep.objectives.length === 2 ? sweep.hypervolume() : null;
      if (hv !== null && Number.isFinite(hv)) this.hypervolume.set({ sweep: sweep.id }, hv);
      if (!sweep.finished) {
        this.trials.set({ sweep: sweep.id, state: 'ok' }, sweep.ok);
        this.trials.set({ sweep: sweep.id, state: 'failed' }, sweep.failed);
        this.trials.set({ sweep: sweep.id, state: 'pruned' }, sweep.pruned);
        this.trials.set({ sweep: sweep.id, state: 'running' }, sweep.running.size);
        this.trials.set({ sweep: sweep.id, state: 'queued' }, Math.max(0, sweep.record.totalTrials - sweep.done - sweep.running.size));
      }
    }
    for (const s of SWEEP_STATES) this.sweeps.set({ state: s }, byState.get(s) ?? 0);
    this.workersConnected.set(workers.length);
    this.clusterSlots.set(workers.reduce((s, w) => s + w.slots, 0));
    this.clusterBusySlots.set(workers.reduce((s, w) => s + w.busy, 0));
  }

  /** A newly recorded result: its outcome, wall time and delivery attempts, by the sweep's method. */
  observeResult(r: TrialResult, method: string): void {
    if (r.status === TrialStatus.TRIAL_STATUS_OK) this.trialsCompleted.inc({ method });
    else if (r.status === TrialStatus.TRIAL_STATUS_PRUNED) this.trialsPruned.inc({ method });
    else this.trialsFailed.inc({ method });
    if (r.finishedAtMs > 0 && r.startedAtMs > 0) this.trialDuration.observe({ method }, Math.max(0, r.finishedAtMs - r.startedAtMs) / 1000);
    if (r.attempts > 0) this.attempts.observe(r.attempts);
  }

  /** JetStream's file storage used, and the account's limit (0 when it has none of its own). */
  observeStore(usage: StoreUsage): void {
    this.storeUsed.set(usage.usedBytes);
    this.storeLimit.set(usage.limitBytes ?? 0);
  }

  /** Drops the per-sweep series of a sweep that is no longer tracked. */
  forgetSweep(sweep: string): void {
    for (const state of ['queued', 'running', 'ok', 'failed', 'pruned']) this.trials.remove({ sweep, state });
    this.queueDepth.remove({ sweep });
    this.shardsInFlight.remove({ sweep });
  }
}
