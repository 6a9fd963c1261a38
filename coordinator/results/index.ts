/** Trial results read back from results.jsonl, the file `fairsweep run` and `fairsweep results` write. */
export { parseResultsJsonl, readResultsFile, type ResultLine } from './results-file.js';
export { ResultsFileError } from './results-file-error.js';
