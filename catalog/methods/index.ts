export { getMethod, methodNames } from './registry.js';
export type { MethodDescriptor } from './types.js';
export { paramSchemaLoose } from './param-schema.js';
