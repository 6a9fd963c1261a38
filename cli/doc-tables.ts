import { readFile, writeFile } from 'node:fs/promises';
import { parseConstraint, parseFrontier, parseSelection, type TableConstraint, type TableSelection } from './table-select.js';
import { resolve } from 'node:path';
import { readResultsFile } from '../coordinator/results/index.js';
import { CliError } from './cli-error.js';
import { parseAssignments } from './param-filter.js';
import { resultsTable, type TableOptions } from './table-format.js';
import { compareConfigurations, comparisonMarkdown } from './compare-format.js';
import { DEFAULT_CONFIDENCE } from '../coordinator/configurations/index.js';

/**
 * A generated table in a markdown file: an opening comment holding the arguments of
 * `fairsweep table`, the table, and a closing comment. Nothing between the two is typed by hand:
 *
 *   <!-- fairsweep table docs/results/quickstart.jsonl --rows penalty_weight --metrics test/accuracy -->
 *   | penalty_weight | seeds | test/accuracy |
 *   ...
 *   <!-- /fairsweep table -->
 *
 * `<!-- fairsweep compare RESULTS --baseline KEY=VALUE --metrics M -->` … `<!-- /fairsweep compare -->`
 * holds the paired comparison `fairsweep compare` prints, in the same way.
 */
const BLOCK = /<!-- fairsweep (table|compare) (.+?) -->\n([\s\S]*?)<!-- \/fairsweep \1 -->/g;

/** Words of a command line, with '…' or "…" quoting. */
function words(text: string): string[] {
  return [...text.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

/** The results file and table options of `fairsweep table` arguments (the subset a document uses). */
export function parseTableArgs(args: string): { results: string; options: TableOptions } {
  const w = words(args);
  const results = w[0];
  if (!results || results.startsWith('--')) throw new CliError(`fairsweep table ${args}: expected a results file first`);
  const o: { rows: string[]; metrics: string[]; digits?: number; scale?: number; where?: TableOptions['where']; select?: TableSelection; constraints?: TableConstraint[]; frontier?: TableSelection[]; paramDigits?: number } = { rows: [], metrics: [] };
  for (let i = 1; i < w.length; i += 2) {
    const flag = w[i] ?? '';
    const value = w[i + 1];
    if (value === undefined) throw new CliError(`fairsweep table ${args}: ${flag} needs a value`);
    if (flag === '--rows') o.rows = value.split(',');
    else if (flag === '--metrics') o.metrics = value.split(',');
    else if (flag === '--digits') o.digits = Number(value);
    else if (flag === '--scale') o.scale = Number(value);
    else if (flag === '--where') o.where = { ...o.where, ...parseAssignments(value, '--where') };
    else if (flag === '--select') o.select = parseSelection(value);
    else if (flag === '--constraint') o.constraints = [...(o.constraints ?? []), parseConstraint(value)];
    else if (flag === '--frontier') o.frontier = parseFrontier(value);
    else if (flag === '--param-digits') {
      o.paramDigits = Number(value);
      if (!Number.isInteger(o.paramDigits) || o.paramDigits < 1 || o.paramDigits > 17) throw new CliError(`fairsweep table ${args}: --param-digits expects a whole number from 1 to 17, got "${value}"`);
    }
    else throw new CliError(`fairsweep table ${args}: unknown option ${flag} in a document (--rows, --metrics, --where, --digits, --scale, --select, --constraint, --frontier, --param-digits)`);
  }
  if (o.constraints && !o.select) throw new CliError(`fairsweep table ${args}: --constraint needs --select`);
  return { results, options: o };
}

/** The baseline file, an optional second file and the options of `fairsweep compare` arguments. */
export function parseCompareArgs(args: string): { results: string; other?: string; baseline?: TableOptions['where']; metrics: string[] } {
  const w = words(args);
  const files = w.slice(0, w.findIndex((x) => x.startsWith('--')) < 0 ? w.length : w.findIndex((x) => x.startsWith('--')));
  const [results, other] = files;
  if (!results || files.length > 2) throw new CliError(`fairsweep compare ${args}: expected one or two results files first`);
  let baseline: TableOptions['where'];
  let metrics: string[] = [];
  for (let i = files.length; i < w.length; i += 2) {
    const flag = w[i] ?? '';
    const value = w[i + 1];
    if (value === undefined) throw new CliError(`fairsweep compare ${args}: ${flag} needs a value`);
    if (flag === '--baseline') baseline = parseAssignments(value, '--baseline');
    else if (flag === '--metrics') metrics = value.split(',');
    else throw new CliError(`fairsweep compare ${args}: unknown option ${flag} in a document (--baseline, --metrics)`);
  }
  return { results, ...(other !== undefined ? { other } : {}), ...(baseline ? { baseline } : {}), metrics };
}

async function made(kind: string, args: string, root: string): Promise<string> {
  if (kind === 'table') {
    const { results, options } = parseTableArgs(args);
    return resultsTable(await readResultsFile(resolve(root, results)), options);
  }
  const c = parseCompareArgs(args);
  const rows = compareConfigurations({
    baseline: { trials: await readResultsFile(resolve(root, c.results)), name: c.results },
    ...(c.other !== undefined ? { other: { trials: await readResultsFile(resolve(root, c.other)), name: c.other } } : {}),
    ...(c.baseline ? { filter: c.baseline } : {}),
    metrics: c.metrics,
  });
  return comparisonMarkdown(rows, DEFAULT_CONFIDENCE);
}

/**
 * `text` with every generated table made again from its results file (paths relative to `root`,
 * the repository root); the count of tables too.
 */
export async function regenerateDocTables(text: string, root: string): Promise<{ text: string; tables: number }> {
  const blocks = [...text.matchAll(BLOCK)];
  const tables = await Promise.all(blocks.map((m) => made(m[1] ?? '', m[2] ?? '', root)));
  let i = 0;
  return { text: text.replace(BLOCK, (_all, kind: string, args: string) => `<!-- fairsweep ${kind} ${args} -->\n${tables[i++] ?? ''}<!-- /fairsweep ${kind} -->`), tables: blocks.length };
}

/** Regenerates the tables of markdown files in place (or, with `check`, lists those out of date). */
export async function updateDocTables(paths: readonly string[], root: string, check: boolean): Promise<{ path: string; tables: number; stale: boolean }[]> {
  const out: { path: string; tables: number; stale: boolean }[] = [];
  for (const path of paths) {
    const text = await readFile(path, 'utf8');
    const next = await regenerateDocTables(text, root);
    const stale = next.text !== text;
    if (stale && !check) await writeFile(path, next.text);
    out.push({ path, tables: next.tables, stale });
  }
  return out;
}
