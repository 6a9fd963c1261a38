/** The worker: runtime (consume, heartbeat, cancel, drain) → backend → dataset → method → metrics → result. */
export { Worker } from './runtime/worker.js';
export type { WorkerState } from './runtime/worker-lifecycle.js';
export {
  compileWorkerOptions, compileWorkerServerOptions, isWorkerBackend, isDawnFlag, WORKER_BACKENDS, DEFAULT_SLOTS, MAX_SLOTS, DEFAULT_BACKEND, DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_PREFETCH_MAX_SHARD_MS, DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_MAX_DATA_BYTES, MAX_DATA_BYTES_LIMIT, defaultWorkerMemoryMb, MAX_WORKER_MEMORY_MB,
  type WorkerOptions, type WorkerServerOptions, type WorkerBackend, type PrefixCacheOptions, type CompiledWorkerOptions, type CompiledWorkerServerOptions,
} from './runtime/worker-options.js';
export { workerService } from './runtime/worker-service.js';
export { loadMethod, implementedMethods } from './methods/index.js';
export { loadableDatasets, DataRoot } from './datasets/index.js';
export { readRegularFile, RegularFileError, type ReadRegularFileOptions, type RegularFileProblem } from './regular-file.js';
export type { MethodImpl, TrialInput, TrialOutput, TrialRuntime } from './methods/index.js';
export { fairnessReport, parsePredictionsCsv, readPredictionsCsv, MetricsInputError, type FairnessReport, type PredictionColumns } from './metrics/index.js';
export { BACKEND_NAMES, isBackendName, type Backend, type BackendName } from './backend-types.js';
export { DEFAULT_PREFIX_CACHE_BYTES } from './methods/prefix-cache.js';
export { memoryBudget, memoryGuard, shapeOf, type MemoryBudget } from './methods/memory-guard.js';
export { TrialFailedError, TrialMemoryError, TrialCancelledError, DatasetError, NoDataDirError, DataPathError, WorkerOptionError, WorkerStateError } from './errors.js';
export { WorkerServer } from './runtime/worker-server.js';
export { compileCommandOptions, type CommandOptions, type CompiledCommandOptions, GpuPool, gpuEnvironment, CommandRefusedError, parsePredictions, predictionMetrics, PredictionsFileError, paramFlags } from './methods/command/index.js';
export { DEFAULT_TRIAL_ARTIFACT_BYTES } from './methods/command/command-options.js';
