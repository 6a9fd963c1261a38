/** The coordinator: spec → grid → trials → shards → queue → results → frontier → API/metrics. */
export { Coordinator, type CoordinatorOptions } from './coordinator.js';
export { sweepService } from './api/sweep-service.js';
export { SpecError, InvalidArgumentError, SweepNotFoundError, SweepStateError } from './errors.js';
export * from './spec/index.js';
export { ensureStreams, streamConfigs } from './queue/streams.js';
export { DEFAULT_ACK_WAIT_MS } from './queue/dispatcher.js';
export { CoordinatorServer, type CoordinatorServerOptions } from './serve.js';
