import { MetricsInputError, type PredictionColumns } from './fairness.js';

/** Splits CSV text into rows of fields (RFC 4180: quoted fields, doubled quotes, CRLF). */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0]?.trim() === ''));
}

/** Reads `y_true,y_pred,group[,y_score]` (any order, extra columns ignored). Errors name file, line and column. */
export function parsePredictionsCsv(text: string, source = 'input'): PredictionColumns {
  const rows = parseCsvRows(text);
  const header = rows[0]?.map((h) => h.trim());
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
  for (let k = 0; k < n; k++) {
    const r = rows[k + 1] as string[];
    const line = k + 2;
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
