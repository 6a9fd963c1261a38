/**
 * The catalog: every method and dataset a sweep can name, with the schemas of their parameters.
 * The coordinator validates specs and plans shards from it; workers implement what it describes.
 * It holds no numeric code.
 */
export * from './methods/index.js';
export * from './datasets/index.js';
