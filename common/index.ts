/**
 * Plumbing that the coordinator, the workers and the CLI share, below the contract: logging, the
 * NATS connection, gRPC servers and credentials, the Prometheus endpoint, a seeded random number
 * generator, the local nats-server launcher, readers kept running under supervision and publishing
 * to a subject that holds one message.
 */
export { BoundedPublish } from './bounded-publish.js';
export * from './connect.js';
export * from './jetstream-errors.js';
export * from './grpc.js';
export * from './log.js';
export { startMetricsServer, type MetricsServer } from './metrics-server.js';
export { ListenError, AddressError, type ListenPurpose } from './listen-error.js';
export { Rng } from './random.js';
export { NatsServer, LaunchError, type NatsServerOptions } from './nats-server.js';
export * from './reader-supervisor.js';
export * from './single-message-subject.js';
