/** report.html: a self-contained page for a finished sweep (scatter with frontier, tables, spec). */
export { buildReportData, guessGoal, type ReportData, type ReportInput, type ReportTrial, type ReportFrontier, type ReportGroupMetrics } from './report-data.js';
export { renderReportHtml, scriptSafeJson, inlineScript, loadEcharts } from './render-html.js';
export { reportHtml, writeReport } from './write-report.js';
export { ReportError } from './report-error.js';
export { pairFrontiers, pairKey } from './pair-frontiers.js';
