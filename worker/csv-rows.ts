import { parse, CsvError } from 'csv-parse/sync';

/** A record of a CSV file and the line it ends on. */
export interface CsvRow {
  cells: string[];
  line: number;
}

/**
 * CSV text that does not parse; `line` is where csv-parse stopped, when it says. The message says
 * what is wrong in words of its own, never with text from the file (csv-parse's own messages quote
 * fields: they stay on the cause).
 */
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
    if (!(err instanceof CsvError)) throw new CsvSyntaxError('the text does not parse as CSV', undefined, { cause: err });
    const line = typeof err.lines === 'number' ? err.lines : undefined;
    throw new CsvSyntaxError(syntaxProblem(err), line, { cause: err });
  }
  return records.map((r, i) => {
    if (!isInfoRecord(r)) throw new CsvSyntaxError(`record ${i + 1}: csv-parse returned no record with line information`, undefined);
    return { cells: r.record, line: r.info.lines };
  });
}

/** What a csv-parse error says is wrong, in words that quote nothing from the text. */
function syntaxProblem(err: CsvError): string {
  switch (err.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
    case 'CSV_RECORD_INCONSISTENT_COLUMNS': {
      // csv-parse's message holds two counts and a line number, nothing from the record.
      const [, expected, got] = /(\d+),\s*got (\d+)/.exec(err.message) ?? [];
      return expected !== undefined && got !== undefined ? `expected ${expected} fields, got ${got}` : 'a record has a different number of fields than the header';
    }
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is not closed';
    case 'INVALID_OPENING_QUOTE':
      return 'a quote inside an unquoted field';
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'a character after a closing quote';
    case 'CSV_MAX_RECORD_SIZE':
      return 'a record is too large';
    default:
      return `unparsable (${err.code})`;
  }
}
