export { paretoFront, hypervolume2d, defaultReference, dominates, type Goal, type Candidate, type ObjectiveSpec } from './pareto.js';
export { IncrementalFrontier } from './incremental.js';
export { assembleFrontier, metricValues, type AssembledFrontier, type AssembleOptions } from './assemble.js';
