/** The worker: runtime (consume, heartbeat, cancel, drain) → backend → dataset → method → metrics → result. */
export { Worker, DEFAULT_SLOTS, type WorkerOptions, type WorkerState } from './runtime/worker.js';
export { workerService } from './runtime/worker-service.js';
export { loadMethod, implementedMethods } from './methods/index.js';
export { loadableDatasets } from './datasets/index.js';
export type { MethodImpl, TrialInput, TrialOutput, TrialRuntime } from './methods/index.js';
export { fairnessReport, parsePredictionsCsv, MetricsInputError, type FairnessReport, type PredictionColumns } from './metrics/index.js';
export type { Backend, BackendName } from './backend-types.js';
export { TrialFailedError, TrialCancelledError, DatasetError } from './errors.js';
export { WorkerServer, DEFAULT_DRAIN_TIMEOUT_MS, type WorkerServerOptions } from './runtime/worker-server.js';
