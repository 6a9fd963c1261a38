import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The coordinator's Prometheus metrics (prefix `fairsweep_`), on its own registry. No name is
 * shared with a worker's metrics except the default process metrics (tests/metric-names.test.ts).
 */
export class CoordinatorMetrics {
  readonly registry = new Registry();
  readonly trials = new Gauge({ name: 'fairsweep_trials', help: 'Trials by sweep and state (queued, running, ok, failed)', labelNames: ['sweep', 'state'] as const, registers: [this.registry] });
  readonly trialsCompleted = new Counter({ name: 'fairsweep_trials_completed_total', help: 'Trial results recorded with status ok', labelNames: ['method'] as const, registers: [this.registry] });
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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Drops the per-sweep series of a sweep that is no longer tracked. */
  forgetSweep(sweep: string): void {
    for (const state of ['queued', 'running', 'ok', 'failed']) this.trials.remove({ sweep, state });
    this.queueDepth.remove({ sweep });
    this.shardsInFlight.remove({ sweep });
  }
}
