import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A worker's Prometheus metrics (prefix `fairsweep_worker_`), on its own registry. */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly trials = new Counter({ name: 'fairsweep_worker_trials_total', help: 'Trials finished by this worker, by outcome (ok, failed, retried, cancelled, pruned)', labelNames: ['method', 'outcome'] as const, registers: [this.registry] });
  readonly trialDuration = new Histogram({
    name: 'fairsweep_worker_trial_duration_seconds',
    help: 'Trial run time on this worker',
    labelNames: ['method'] as const,
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200],
    registers: [this.registry],
  });
  readonly packedTrials = new Counter({ name: 'fairsweep_worker_packed_trials_total', help: 'Trials this worker trained in packs of two or more (packed training), whatever their outcome', labelNames: ['method'] as const, registers: [this.registry] });
  readonly shards = new Counter({ name: 'fairsweep_worker_shards_total', help: 'Shards handled, by outcome (acked, retried, store_refused, handed_back, cancelled, malformed)', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly slots = new Gauge({ name: 'fairsweep_worker_slots', help: 'Trial slots of this worker', registers: [this.registry] });
  readonly busy = new Gauge({ name: 'fairsweep_worker_busy_slots', help: 'Slots running a shard now', registers: [this.registry] });
  readonly storeBackoff = new Gauge({ name: 'fairsweep_worker_store_backoff_seconds', help: 'Current wait while results cannot be stored (JetStream store full or not answering); 0 when they can', registers: [this.registry] });
  readonly backend = new Gauge({ name: 'fairsweep_worker_backend_info', help: 'The loaded tfjs backend (1), with its GPU index (-1 none) and accelerator name', labelNames: ['backend', 'device', 'gpu'] as const, registers: [this.registry] });
  readonly malformed = new Counter({ name: 'fairsweep_worker_malformed_messages_total', help: 'Messages that did not decode and were dropped', labelNames: ['subject'] as const, registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
