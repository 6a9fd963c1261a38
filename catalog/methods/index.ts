export { getMethod, methodNames } from './registry.js';
export type { MethodDescriptor } from './types.js';
export { paramSchemaLoose } from './param-schema.js';
export { ACTIVATION_COPIES, mlpParameters, mlpTrainingMemory, formatBytes, describeEstimate, type MemoryEstimate, type MlpMemoryOptions } from './memory-estimate.js';
