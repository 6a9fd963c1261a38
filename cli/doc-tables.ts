import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readResultsFile } from '../coordinator/results/index.js';
import { CliError } from './cli-error.js';
import { parseAssignments } from './param-filter.js';
import { resultsTable, type TableOptions } from './table-format.js';

/**
 * A generated table in a markdown file: an opening comment holding the arguments of
 * `fairsweep table`, the table, and a closing comment. Nothing between the two is typed by hand:
 *
 *   <!-- fairsweep table docs/results/quickstart.jsonl --rows penalty_weight --metrics test/accuracy -->
 *   | penalty_weight | seeds | test/accuracy |
 *   ...
 *   <!-- /fairsweep table -->
 */
const BLOCK = /<!-- fairsweep table (.+?) -->\n([\s\S]*?)<!-- \/fairsweep table -->/g;

/** Words of a command line, with '…' or "…" quoting. */
function words(text: string): string[] {
  return [...text.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

/** The results file and table options of `fairsweep table` arguments (the subset a document uses). */
export function parseTableArgs(args: string): { results: string; options: TableOptions } {
  const w = words(args);
  const results = w[0];
  if (!results || results.startsWith('--')) throw new CliError(`fairsweep table ${args}: expected a results file first`);
  const o: { rows: string[]; metrics: string[]; digits?: number; scale?: number; where?: TableOptions['where'] } = { rows: [], metrics: [] };
  for (let i = 1; i < w.length; i += 2) {
    const flag = w[i] ?? '';
    const value = w[i + 1];
    if (value === undefined) throw new CliError(`fairsweep table ${args}: ${flag} needs a value`);
    if (flag === '--rows') o.rows = value.split(',');
    else if (flag === '--metrics') o.metrics = value.split(',');
    else if (flag === '--digits') o.digits = Number(value);
    else if (flag === '--scale') o.scale = Number(value);
    else if (flag === '--where') o.where = { ...o.where, ...parseAssignments(value, '--where') };
    else throw new CliError(`fairsweep table ${args}: unknown option ${flag} in a document (--rows, --metrics, --where, --digits, --scale)`);
  }
  return { results, options: o };
}

/**
 * `text` with every generated table made again from its results file (paths relative to `root`,
 * the repository root); the count of tables too.
 */
export async function regenerateDocTables(text: string, root: string): Promise<{ text: string; tables: number }> {
  const blocks = [...text.matchAll(BLOCK)];
  const made = await Promise.all(
    blocks.map(async (m) => {
      const { results, options } = parseTableArgs(m[1] ?? '');
      return resultsTable(await readResultsFile(resolve(root, results)), options);
    }),
  );
  let i = 0;
  return { text: text.replace(BLOCK, (_all, args: string) => `<!-- fairsweep table ${args} -->\n${made[i++] ?? ''}<!-- /fairsweep table -->`), tables: blocks.length };
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
