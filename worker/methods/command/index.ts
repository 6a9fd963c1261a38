export { commandImpl, paramFlags, PREDICTIONS_FILE, METRICS_FILE, LOG_FILE, CommandFailedError } from './command-method.js';
export { compileCommandOptions, type CommandOptions, type CompiledCommandOptions } from './command-options.js';
export { GpuPool, gpuEnvironment } from './gpu-pool.js';
export type { CommandHost, ArtifactSink, ArtifactFile, TrialRef } from './host-types.js';
export { CommandRefusedError } from './executable-policy.js';
export { parsePredictions, predictionMetrics, PredictionsFileError } from './predictions-file.js';
