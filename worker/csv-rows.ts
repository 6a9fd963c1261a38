import { parse, CsvError } from 'csv-parse/sync';

/** A record of a CSV file and the line it ends on. */
export interface CsvRow {
  cells: string[];
  line: number;
}

/** CSV text that does not parse; `line` is where csv-parse stopped, when it says. */
export class CsvSyntaxError extends Error {
  override name = 'CsvSyntaxError';
  constructor(
    message: string,
    readonly line: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What csv-parse returns per record with `info: true`. */
function isInfoRecord(x: unknown): x is { record: string[]; info: { lines: number } } {
  if (typeof x !== 'object' || x === null || !('record' in x) || !('info' in x)) return false;
  const { record, info } = x;
  return Array.isArray(record) && record.every((c) => typeof c === 'string') && typeof info === 'object' && info !== null && 'lines' in info && typeof info.lines === 'number';
}

/**
 * The records of CSV text (RFC 4180, via csv-parse) with their line numbers; blank lines and a
 * byte-order mark skipped. Throws CsvSyntaxError.
 */
export function csvRows(text: string, options: { trim?: boolean; relaxColumnCount?: boolean } = {}): CsvRow[] {
  let records: unknown[];
  try {
    records = parse(text, { info: true, skip_empty_lines: true, bom: true, trim: options.trim ?? false, relax_column_count: options.relaxColumnCount ?? false });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const line = err instanceof CsvError && typeof err.lines === 'number' ? err.lines : undefined;
    throw new CsvSyntaxError(message, line, { cause: err });
  }
  return records.map((r, i) => {
    if (!isInfoRecord(r)) throw new CsvSyntaxError(`record ${i + 1}: csv-parse returned no record with line information`, undefined);
    return { cells: r.record, line: r.info.lines };
  });
}
