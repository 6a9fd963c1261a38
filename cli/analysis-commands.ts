import { resolve } from 'node:path';
import type { Command } from 'commander';
import { readResultsFile } from '../coordinator/results/index.js';
import { summaryOptions, type IntervalMethod } from '../coordinator/configurations/index.js';
import { intArg } from './args.js';
import { CliError } from './cli-error.js';
import { comparisonMarkdown, compareConfigurations } from './compare-format.js';
import { updateDocTables } from './doc-tables.js';
import { parseIntervalArg } from './frontier-file.js';
import { parseAssignments } from './param-filter.js';
import { resultsTable, type TableFormat } from './table-format.js';
import { parseConstraint, parseFrontier, parseSelection, type TableConstraint, type TableSelection } from './table-select.js';

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new CliError(`--scale: expected a positive number, got "${v}"`);
  return n;
}

/** table, tables and compare: statistics over seeds from results files, no coordinator needed. */
export function addAnalysisCommands(program: Command): void {
  program
    .command('table')
    .description('a table of configurations from a results file: one row per value of --rows, mean ± sample std over seeds per metric (markdown or CSV)')
    .argument('<results>', 'results.jsonl')
    .requiredOption('--rows <params>', 'comma-separated params whose values make the rows, e.g. penalty_weight', list)
    .requiredOption('--metrics <metrics>', 'comma-separated metrics, e.g. train/accuracy,test/accuracy', list)
    .option('--where <key=value>', 'only configurations with these param values (repeat or comma-separate)', (v: string, prev: Record<string, unknown> = {}) => ({ ...prev, ...parseAssignments(v, '--where') }))
    .option('--format <format>', 'markdown | csv', 'markdown')
    .option('--digits <n>', 'digits after the point', intArg(0, 12), 3)
    .option('--scale <factor>', 'multiply values by this, e.g. 100 for percent', positiveNumber, 1)
    .option('--select <metric:goal>', 'several configurations per row: show the one with the best mean of METRIC (max or min), e.g. trainval/accuracy:max', (v: string) => parseSelection(v))
    .option('--constraint <bound>', 'with --select: choose only among configurations whose mean meets METRIC<=V or METRIC>=V (repeatable)', (v: string, prev: TableConstraint[] = []) => [...prev, parseConstraint(v)])
    .option('--frontier <metric:goal,...>', 'only the configurations on the Pareto frontier of these metrics\' means, best first on the first, e.g. val/accuracy:max,val/dp_gap:min', (v: string) => parseFrontier(v))
    .option('--param-digits <n>', 'numeric params with this many significant digits (larger numbers as whole numbers)', intArg(1, 17))
    .action(async (path: string, o: { rows: string[]; metrics: string[]; where?: ReturnType<typeof parseAssignments>; format: string; digits: number; scale: number; select?: TableSelection; constraint?: TableConstraint[]; frontier?: TableSelection[]; paramDigits?: number }) => {
      if (o.format !== 'markdown' && o.format !== 'csv') throw new CliError(`--format: expected markdown or csv, got "${o.format}"`);
      if (o.constraint && !o.select) throw new CliError('--constraint needs --select (it bounds which configuration a row chooses)');
      const format: TableFormat = o.format;
      const choice = o.select ? { select: o.select, ...(o.constraint ? { constraints: o.constraint } : {}) } : {};
      const shape = { ...(o.frontier ? { frontier: o.frontier } : {}), ...(o.paramDigits !== undefined ? { paramDigits: o.paramDigits } : {}) };
      process.stdout.write(resultsTable(await readResultsFile(path), { rows: o.rows, metrics: o.metrics, format, digits: o.digits, scale: o.scale, ...(o.where ? { where: o.where } : {}), ...choice, ...shape }));
    });

  program
    .command('tables')
    .description('regenerate the tables a markdown file marks with <!-- fairsweep table RESULTS ARGS --> from their results files')
    .argument('<files...>', 'markdown files')
    .option('--root <dir>', 'directory results paths are relative to', '.')
    .option('--check', 'change nothing; exit 1 if a table is out of date')
    .action(async (files: string[], o: { root: string; check?: boolean }) => {
      const done = await updateDocTables(files, resolve(o.root), o.check ?? false);
      for (const d of done) process.stdout.write(`${d.path}: ${d.tables} table(s)${d.stale ? (o.check ? ', out of date' : ', regenerated') : ', up to date'}\n`);
      if (o.check && done.some((d) => d.stale)) throw new CliError('some tables are out of date: run `fairsweep tables` on them');
    });

  program
    .command('compare')
    .description('per configuration, the difference from a baseline in each metric, with a paired confidence interval over the seeds both share')
    .argument('<results>', 'results.jsonl (the baseline comes from it)')
    .argument('[other]', 'a second results.jsonl to compare with the first')
    .requiredOption('--metrics <metrics>', 'comma-separated metrics, e.g. test/accuracy,test/demographic_parity_difference', list)
    .option('--baseline <key=value>', 'the baseline configuration, e.g. penalty_weight=0 (with two files and no baseline: each configuration against its namesake)')
    .option('--interval <method>', 't or bootstrap', parseIntervalArg, 't')
    .option('--json', 'print JSON')
    .action(async (path: string, other: string | undefined, o: { metrics: string[]; baseline?: string; interval: IntervalMethod; json?: boolean }) => {
      const rows = compareConfigurations({
        baseline: { trials: await readResultsFile(path), name: path },
        ...(other !== undefined ? { other: { trials: await readResultsFile(other), name: other } } : {}),
        ...(o.baseline !== undefined ? { filter: parseAssignments(o.baseline, '--baseline') } : {}),
        metrics: o.metrics,
        summary: { interval: o.interval },
      });
      process.stdout.write(o.json ? `${JSON.stringify(rows, null, 2)}\n` : comparisonMarkdown(rows, summaryOptions().confidence));
    });
}
