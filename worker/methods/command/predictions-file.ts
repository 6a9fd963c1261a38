import { csvRows, CsvSyntaxError, type CsvRow } from '../../csv-rows.js';
import { scoredRowsMetrics, type ScoredRows } from '../../training/evaluate.js';
import type { TrialOutput } from '../types.js';
import { TrialFailedError } from '../../errors.js';

/** Columns a predictions file must have; `y_pred` and `environment` are optional. */
export const PREDICTION_COLUMNS = ['split', 'y_true', 'y_score', 'group'] as const;
const EXPECTED = 'expected a header split,y_true,y_score,group[,y_pred][,environment]';

/** A predictions file that cannot be scored; the message names the file, and the line and column when there is one. */
export class PredictionsFileError extends TrialFailedError {
  override name = 'PredictionsFileError';
}

/** The rows of one split, with their training environments when the file names them. */
interface SplitRows extends ScoredRows {
  environment: string[] | undefined;
}

interface Growing {
  y: number[];
  p: number[];
  yPred: number[] | undefined;
  attribute: string[];
  group: string[];
  environment: string[] | undefined;
}

/**
 * Parses a command trial's predictions.csv (`shownAs` names it in errors) into rows per split, in
 * the order the splits first appear. The (label, group) pair is each row's group for worst-group
 * accuracy, `y=<label>,<group>`, as the csv dataset names it.
 */
export function parsePredictions(text: string, shownAs: string): Map<string, SplitRows> {
  let rows: CsvRow[];
  try {
    rows = csvRows(text);
  } catch (err) {
    if (!(err instanceof CsvSyntaxError)) throw err;
    throw new PredictionsFileError(`${shownAs}${err.line ? ` line ${err.line}` : ''}: malformed CSV (${err.message})`, { cause: err });
  }
  const header = rows[0]?.cells.map((h) => h.trim());
  if (!header) throw new PredictionsFileError(`${shownAs}: empty file; ${EXPECTED}`);
  for (const name of PREDICTION_COLUMNS) {
    if (!header.includes(name)) throw new PredictionsFileError(`${shownAs} line ${rows[0]?.line ?? 1}: missing column "${name}" (header: ${header.join(',')}); ${EXPECTED}`);
  }
  if (rows.length < 2) throw new PredictionsFileError(`${shownAs}: no data rows after the header`);
  const col = (name: string): number => header.indexOf(name);
  const [iS, iT, iP, iG, iY, iE] = [col('split'), col('y_true'), col('y_score'), col('group'), col('y_pred'), col('environment')];
  const splits = new Map<string, Growing>();
  for (const { cells, line } of rows.slice(1)) {
    const cell = (i: number): string => (cells[i] ?? '').trim();
    const where = (name: string): string => `${shownAs} line ${line}, column ${name}`;
    const label = (i: number, name: string): number => {
      const raw = cell(i);
      if (raw !== '0' && raw !== '1') throw new PredictionsFileError(`${where(name)}: expected 0 or 1, got ${JSON.stringify(raw)}`);
      return Number(raw);
    };
    const text = (i: number, name: string): string => {
      const v = cell(i);
      if (v === '') throw new PredictionsFileError(`${where(name)}: empty ${name}`);
      return v;
    };
    const split = text(iS, 'split');
    const y = label(iT, 'y_true');
    const raw = cell(iP);
    const p = raw === '' ? NaN : Number(raw);
    if (!(p >= 0 && p <= 1)) throw new PredictionsFileError(`${where('y_score')}: expected a probability in [0, 1], got ${JSON.stringify(raw)}`);
    const group = text(iG, 'group');
    let s = splits.get(split);
    if (!s) splits.set(split, (s = { y: [], p: [], yPred: iY >= 0 ? [] : undefined, attribute: [], group: [], environment: iE >= 0 ? [] : undefined }));
    s.y.push(y);
    s.p.push(p);
    s.yPred?.push(label(iY, 'y_pred'));
    s.attribute.push(group);
    s.group.push(`y=${y},${group}`);
    s.environment?.push(text(iE, 'environment'));
  }
  const out = new Map<string, SplitRows>();
  for (const [name, s] of splits) {
    out.set(name, {
      n: s.y.length,
      y: s.y,
      p: s.p,
      ...(s.yPred ? { yPred: s.yPred } : {}),
      attribute: s.attribute,
      group: s.group,
      environment: s.environment,
    });
  }
  return out;
}

/**
 * Every built-in metric of each split (splitMetrics, the code the built-in methods use): `<split>/<metric>`
 * and per-group rows; with an `environment` column, `<split>/env<e>/accuracy` per environment and
 * `<split>/worst_env_accuracy` when there are several.
 */
export function predictionMetrics(splits: ReadonlyMap<string, SplitRows>): TrialOutput {
  const metrics: Record<string, number> = {};
  const groupMetrics: TrialOutput['groupMetrics'] = [];
  for (const [name, rows] of splits) {
    const s = scoredRowsMetrics(name, rows);
    Object.assign(metrics, s.metrics);
    groupMetrics.push(...s.groups);
    if (rows.environment) Object.assign(metrics, environmentMetrics(name, rows, rows.environment));
  }
  return { metrics, groupMetrics };
}

function environmentMetrics(split: string, rows: ScoredRows, environment: readonly string[]): Record<string, number> {
  const byEnv = new Map<string, { n: number; correct: number }>();
  for (let i = 0; i < rows.n; i++) {
    const e = environment[i] ?? '';
    const predicted = rows.yPred ? rows.yPred[i] : (rows.p[i] ?? 0) >= 0.5 ? 1 : 0;
    const s = byEnv.get(e) ?? { n: 0, correct: 0 };
    s.n++;
    if (predicted === rows.y[i]) s.correct++;
    byEnv.set(e, s);
  }
  if (byEnv.size < 2) return {};
  const out: Record<string, number> = {};
  let worst = Infinity;
  for (const [e, s] of byEnv) {
    const acc = s.correct / s.n;
    out[`${split}/env${e}/accuracy`] = acc;
    worst = Math.min(worst, acc);
  }
  out[`${split}/worst_env_accuracy`] = worst;
  return out;
}
