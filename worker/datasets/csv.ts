import type { Params } from '../../proto/index.js';
import { DatasetError } from '../errors.js';
import { parseOptions } from './options.js';
import { csvOptions } from '../../catalog/datasets/csv.js';
import { Rng } from '../../common/random.js';
import type { Dataset, Split } from './types.js';
import { at, swap } from '../checked-access.js';
import { csvRows, CsvSyntaxError, type CsvRow } from '../csv-rows.js';
import { requireDataRoot, type DataRoot } from './data-root.js';

interface Table {
  header: string[];
  /** Data rows with their line number in the file. */
  rows: CsvRow[];
}

/** Longest column name an error repeats, and most names a column list shows. */
const SHOWN_NAME_CHARS = 64;
const SHOWN_COLUMNS = 40;

/**
 * A column name as errors show it, cut when long. Column names are the only text from a dataset
 * file that errors repeat: a trial's error goes back to whoever submitted the sweep.
 */
function cut(name: string): string {
  return name.length > SHOWN_NAME_CHARS ? `${name.slice(0, SHOWN_NAME_CHARS)}…` : name;
}

const columnName = (name: string): string => `"${cut(name)}"`;

function columnList(header: readonly string[]): string {
  const names = header.slice(0, SHOWN_COLUMNS).map(cut).join(', ');
  return header.length > SHOWN_COLUMNS ? `${names}, … ${header.length} columns in all` : names;
}

function readTable(root: DataRoot, path: string): Table {
  const text = root.read(path).toString('utf8');
  let records: CsvRow[];
  try {
    records = csvRows(text, { trim: true });
  } catch (err) {
    if (!(err instanceof CsvSyntaxError)) throw err;
    throw new DatasetError(`${path}${err.line ? `:${err.line}` : ''}: malformed CSV (${err.message})`, { cause: err });
  }
  const [first, ...rest] = records;
  if (!first) throw new DatasetError(`${path}: the file is empty (expected a header row and data rows)`);
  if (rest.length === 0) throw new DatasetError(`${path}: no data rows after the header`);
  const header = first.cells;
  const seen = new Set<string>();
  for (const h of header) {
    if (h === '') throw new DatasetError(`${path}:1: an empty column name in the header`);
    if (seen.has(h)) throw new DatasetError(`${path}:1: column ${columnName(h)} appears twice in the header`);
    seen.add(h);
  }
  return { header, rows: rest };
}

/**
 * The `csv` dataset: a table read from the worker's data directory (`root`; none: the trial fails
 * with NoDataDirError). Errors name the file, line and column, and never repeat a cell's value.
 */
export function csvDataset(options: Params, seed: number, root: DataRoot | undefined): Dataset {
  const o = parseOptions(csvOptions, options, 'csv');
  if (o.val_fraction + o.test_fraction >= 0.95) throw new DatasetError(`dataset.test_fraction: val_fraction + test_fraction must leave rows to train on (got ${o.val_fraction + o.test_fraction})`);
  const t = readTable(requireDataRoot(root), o.path);
  const col = (name: string, option: string): number => {
    const i = t.header.indexOf(name);
    if (i < 0) throw new DatasetError(`dataset.${option}: column ${columnName(name)} is not in ${o.path} (columns: ${columnList(t.header)})`);
    return i;
  };
  const labelCol = col(o.label, 'label');
  const groupCol = col(o.group, 'group');
  const envCol = o.environment !== undefined ? col(o.environment, 'environment') : -1;
  const reserved = new Set([labelCol, groupCol, envCol]);
  const featureCols = o.features ? o.features.map((f, i) => col(f, `features[${i}]`)) : t.header.map((_, i) => i).filter((i) => !reserved.has(i));
  if (featureCols.length === 0) throw new DatasetError(`dataset.features: ${o.path} has no feature column besides label and group`);
  const dim = featureCols.length;
  const n = t.rows.length;
  const x = new Float32Array(n * dim);
  const y = new Float32Array(n);
  const group: string[] = [];
  const env: string[] = [];
  for (const [r, { line, cells }] of t.rows.entries()) {
    const where = (c: number): string => `${o.path}:${line}, column ${columnName(t.header[c] ?? '')}`;
    featureCols.forEach((c, j) => {
      const cell = cells[c] ?? '';
      const v = cell === '' ? NaN : Number(cell);
      if (!Number.isFinite(v)) throw new DatasetError(`${where(c)}: expected a finite number, got ${cell === '' ? 'an empty cell' : 'something else (values are not repeated in errors)'}`);
      x[r * dim + j] = v;
    });
    const raw = cells[labelCol] ?? '';
    if (o.positive_label !== undefined) y[r] = raw === String(o.positive_label) ? 1 : 0;
    else if (raw === '0' || raw === '1') y[r] = Number(raw);
    else throw new DatasetError(`${where(labelCol)}: labels must be 0 or 1 (or set dataset.positive_label)`);
    const g = cells[groupCol] ?? '';
    if (g === '') throw new DatasetError(`${where(groupCol)}: empty group value`);
    group.push(g);
    if (envCol >= 0) {
      const e = cells[envCol] ?? '';
      if (e === '') throw new DatasetError(`${where(envCol)}: empty environment value`);
      env.push(e);
    }
  }
  // Shuffle with the seed, then cut test, validation, train.
  const rng = new Rng(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    swap(order, i, j);
  }
  const nTest = Math.max(1, Math.round(n * o.test_fraction));
  const nVal = Math.round(n * o.val_fraction);
  if (n - nTest - nVal < 2) throw new DatasetError(`${o.path}: ${n} rows are too few to split into train, validation and test`);
  const take = (idx: readonly number[]): Split => {
    const sx = new Float32Array(idx.length * dim);
    const sy = new Float32Array(idx.length);
    idx.forEach((r, i) => {
      sx.set(x.subarray(r * dim, (r + 1) * dim), i * dim);
      sy[i] = at(y, r, 'labels');
    });
    const attribute = idx.map((r) => at(group, r, 'groups'));
    return { n: idx.length, x: sx, y: sy, attribute, group: idx.map((r, i) => `y=${sy[i]},${attribute[i]}`) };
  };
  const testIdx = order.slice(0, nTest);
  const valIdx = order.slice(nTest, nTest + nVal);
  const trainIdx = order.slice(nTest + nVal);
  const envNames = envCol >= 0 ? [...new Set(trainIdx.map((r) => at(env, r, 'environments')))].sort() : [];
  // Environments hold the training rows grouped by environment; `train` is their concatenation in that order.
  const envIdx = envCol >= 0 ? envNames.map((e) => trainIdx.filter((r) => env[r] === e)) : [trainIdx];
  const environments = envIdx.map(take);
  // The rows of a csv file share one distribution: the validation rows are also validation rows of the training data (trainval).
  return { name: 'csv', dim, environments, train: take(envIdx.flat()), val: take(valIdx.length ? valIdx : testIdx), ...(valIdx.length ? { trainval: take(valIdx) } : {}), test: take(testIdx) };
}
