export { getMethod, methodNames } from './registry.js';
export type { MethodDescriptor, MethodImpl, TrialInput, TrialOutput, TrialRuntime, GroupMetricsRow, DatasetConfig } from './types.js';
