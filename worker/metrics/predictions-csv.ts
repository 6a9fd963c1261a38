import { MetricsInputError, type PredictionColumns } from './fairness.js';
import { csvRows, CsvSyntaxError, type CsvRow } from '../csv-rows.js';
import { DEFAULT_MAX_DATA_BYTES, readRegularFile, RegularFileError } from '../regular-file.js';

/** Rows of CSV text (RFC 4180, via csv-parse), with their line numbers; blank lines skipped. */
function readRows(text: string, source: string): CsvRow[] {
  try {
    return csvRows(text, { relaxColumnCount: true });
  } catch (err) {
    if (!(err instanceof CsvSyntaxError)) throw err;
    throw new MetricsInputError(`${source}${err.line ? ` line ${err.line}` : ''}: malformed CSV (${err.message.split('\n')[0]})`, { cause: err });
  }
}

/** Reads `y_true,y_pred,group[,y_score]` (any order, extra columns ignored). Errors name file, line and column. */
export function parsePredictionsCsv(text: string, source = 'input'): PredictionColumns {
  const rows = readRows(text, source);
  const header = rows[0]?.cells.map((h) => h.trim());
  if (!header) throw new MetricsInputError(`${source}: empty file; expected a header y_true,y_pred,group[,y_score]`);
  const col = (name: string): number => header.indexOf(name);
  for (const name of ['y_true', 'y_pred', 'group']) {
    if (col(name) < 0) throw new MetricsInputError(`${source}: missing column "${name}" (header: ${header.join(',')}); expected y_true,y_pred,group[,y_score]`);
  }
  const iT = col('y_true'), iP = col('y_pred'), iG = col('group'), iS = col('y_score');
  const n = rows.length - 1;
  if (n <= 0) throw new MetricsInputError(`${source}: no data rows after the header`);
  const yTrue = new Float64Array(n), yPred = new Float64Array(n);
  const yScore = iS >= 0 ? new Float64Array(n) : undefined;
  const group: string[] = new Array<string>(n);
  const label = (r: string[], i: number, name: string, line: number): number => {
    const raw = (r[i] ?? '').trim();
    const v = raw === '' ? NaN : Number(raw);
    if (v !== 0 && v !== 1) throw new MetricsInputError(`${source} line ${line}, column ${name}: expected 0 or 1, got ${JSON.stringify(raw)}`);
    return v;
  };
  for (const [k, { cells: r, line }] of rows.slice(1).entries()) {
    if (r.length < header.length) throw new MetricsInputError(`${source} line ${line}: ${r.length} fields, expected ${header.length}`);
    yTrue[k] = label(r, iT, 'y_true', line);
    yPred[k] = label(r, iP, 'y_pred', line);
    const g = (r[iG] ?? '').trim();
    if (!g) throw new MetricsInputError(`${source} line ${line}, column group: empty group`);
    group[k] = g;
    if (yScore) {
      const raw = (r[iS] ?? '').trim();
      const v = raw === '' ? NaN : Number(raw);
      if (!(v >= 0 && v <= 1)) throw new MetricsInputError(`${source} line ${line}, column y_score: expected a probability in [0, 1], got ${JSON.stringify(raw)}`);
      yScore[k] = v;
    }
  }
  return { yTrue, yPred, group, ...(yScore ? { yScore } : {}) };
}

/**
 * Reads and parses a predictions file (`fairsweep metrics`): a regular file of at most `maxBytes`
 * (default DEFAULT_MAX_DATA_BYTES); a FIFO, a device or a directory is refused without blocking.
 * Throws MetricsInputError.
 */
export function readPredictionsCsv(path: string, maxBytes = DEFAULT_MAX_DATA_BYTES): PredictionColumns {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(path, { maxBytes, shownAs: path });
  } catch (err) {
    if (!(err instanceof RegularFileError)) throw err;
    throw new MetricsInputError(err.problem === 'too-large' ? `${err.message} (--max-data-mb raises it)` : err.message, { cause: err });
  }
  return parsePredictionsCsv(bytes.toString('utf8'), path);
}
