/** The coordinator: spec → grid → trials → shards → queue → results → frontier → API/metrics. */
export { Coordinator } from './coordinator.js';
export {
  compileCoordinatorOptions, DEFAULT_REPLICAS, DEFAULT_RECONCILE_INTERVAL_MS, MAX_REPLICAS, MIN_ACK_WAIT_MS, MIN_RECONCILE_INTERVAL_MS,
  type CoordinatorOptions, type CompiledCoordinatorOptions,
} from './coordinator-options.js';
export { SweepLifecycle, type SweepPhase } from './sweeps/sweep-lifecycle.js';
export { sweepService } from './api/sweep-service.js';
export { SpecError, InvalidArgumentError, SweepNotFoundError, SweepStateError, InvalidOptionError } from './errors.js';
export * from './spec/index.js';
export { ensureStreams, streamConfigs } from './queue/streams.js';
export { DEFAULT_ACK_WAIT_MS } from './queue/dispatcher.js';
export {
  CoordinatorServer, compileCoordinatorServerOptions, DEFAULT_GRPC_ADDRESS, DEFAULT_METRICS_ADDRESS,
  type CoordinatorServerOptions, type CompiledCoordinatorServerOptions,
} from './serve.js';
