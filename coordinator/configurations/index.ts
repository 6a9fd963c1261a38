/** Configurations (trials that differ only in seed) and their statistics over seeds: frontier, selection, comparisons. */
export { studentTCdf, studentTQuantile, regularizedBeta } from './student-t.js';
export { summarize, summaryOptions, tInterval, bootstrapInterval, sampleStd, mean, quantileSorted, DEFAULT_CONFIDENCE, DEFAULT_BOOTSTRAP_SAMPLES, type MetricSummary, type SummaryOptions, type IntervalMethod } from './summary.js';
export { groupConfigurations, configurationId, seedValues, varyingParams, type Configuration, type TrialLike } from './group.js';
export { AGGREGATES, DEFAULT_AGGREGATE, aggregateValue, objectiveLabel, type Aggregate, type AggregatedObjective } from './aggregate.js';
export { SELECTION_METHODS, SELECTION_SPLIT, LODO_MIN_ENVIRONMENTS, selectionMetric, selectionNote, selectionLabel, testObjectives, type SelectionMethod } from './selection.js';
export { configurationFrontier, summarizeConfigurations, rankedObjectives, type ConfigurationFrontierDocument, type ConfigurationFrontierOptions, type ConfigurationRow, type RankedObjective } from './configuration-frontier.js';
export { pairedDifference, type PairedDifference } from './paired.js';
export { sweepConfigurationFrontier, toConfigurationFrontierMessage, fromConfigurationFrontierMessage, aggregatedObjectives, selectionOf, trialLikeOf, type SweepFrontierInput } from './frontier-message.js';
