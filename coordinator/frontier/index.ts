export { paretoFront, hypervolume2d, defaultReference, dominates, type Goal, type Candidate, type ObjectiveSpec } from './pareto.js';
export { IncrementalFrontier } from './incremental.js';
