/** The coordinator: spec → grid → trials → shards → queue → results → frontier → API/metrics. */
export { Coordinator, type CoordinatorOptions } from './coordinator.js';
export { sweepService } from './api/sweep-service.js';
export { SpecError, InvalidArgumentError, SweepNotFoundError, SweepStateError, LaunchError } from './errors.js';
export * from './spec/index.js';
export { NatsServer, type NatsServerOptions } from './local/nats-server.js';
export { ensureStreams, streamConfigs } from './queue/streams.js';
export { DEFAULT_ACK_WAIT_MS } from './queue/dispatcher.js';
export { CoordinatorServer, type CoordinatorServerOptions } from './serve.js';
