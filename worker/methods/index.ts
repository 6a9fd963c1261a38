export { loadMethod, implementedMethods } from './registry.js';
export type { MethodImpl, TrialInput, TrialOutput, TrialRuntime, GroupMetricsRow, DatasetConfig } from './types.js';
