export { fairnessReport, expectedCalibrationError, MetricsInputError, DEFAULT_ECE_BINS, type PredictionColumns, type GroupStats, type FairnessReport } from './fairness.js';
export { parsePredictionsCsv, readPredictionsCsv } from './predictions-csv.js';
