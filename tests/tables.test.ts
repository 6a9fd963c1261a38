import test from 'ava';
import { readdir } from 'node:fs/promises';
import { regenerateDocTables, parseTableArgs, parseCompareArgs } from '../cli/doc-tables.js';
import { resultsTable } from '../cli/table-format.js';
import { compareConfigurations, comparisonMarkdown } from '../cli/compare-format.js';
import { CliError } from '../cli/cli-error.js';
import type { TrialLike } from '../coordinator/configurations/index.js';
import { REPO_ROOT, readRepoText } from './helpers/repo-files.js';

function trial(params: Record<string, number | string>, seed: number, metrics: Record<string, number>, status: 'ok' | 'failed' = 'ok'): TrialLike {
  return { trial_id: `t${JSON.stringify(params)}${seed}`, params, seed, status, metrics };
}

const trials: TrialLike[] = [
  trial({ w: 0, lr: 0.1 }, 0, { acc: 0.7, dp: 0.2 }),
  trial({ w: 0, lr: 0.1 }, 1, { acc: 0.8, dp: 0.3 }),
  trial({ w: 0, lr: 0.1 }, 2, {}, 'failed'),
  trial({ w: 10, lr: 0.1 }, 0, { acc: 0.9, dp: 0.1 }),
];

test('table: mean ± sample std per configuration, a failed seed counted, one seed shown without a std', (t) => {
  const md = resultsTable(trials, { rows: ['w'], metrics: ['acc', 'dp'] });
  t.is(
    md,
    [
      '| w | seeds | acc | dp |',
      '| --- | --- | --- | --- |',
      '| 0 | 2 of 3 (1 failed) | 0.750 ± 0.071 | 0.250 ± 0.071 |', // s = √(2·0.05²) = 0.0707
      '| 10 | 1 | 0.900 | 0.100 |',
      '',
    ].join('\n'),
  );
  t.is(resultsTable(trials, { rows: ['w'], metrics: ['acc'], scale: 100, digits: 1 }).split('\n')[2], '| 0 | 2 of 3 (1 failed) | 75.0 ± 7.1 |');
  const csv = resultsTable(trials, { rows: ['w'], metrics: ['acc'], format: 'csv' }).split('\n');
  t.is(csv[0], 'w,seeds,failed,acc mean,acc std');
  t.regex(csv[1] ?? '', /^0,2,1,0\.75,0\.0707106781/);
  t.is(csv[2], '10,1,0,0.9,');
});

test('table: rows that would mix configurations, unknown params and metrics are errors naming them', (t) => {
  const mixed = [...trials, trial({ w: 0, lr: 0.2 }, 0, { acc: 0.5 })];
  t.throws(() => resultsTable(mixed, { rows: ['w'], metrics: ['acc'] }), { instanceOf: CliError, message: /share w=0 and differ in lr: add it to --rows, narrow with --where, or choose one per row with --select/ });
  t.is(resultsTable(mixed, { rows: ['w'], metrics: ['acc'], where: { lr: 0.2 } }).split('\n').length, 4);
  t.throws(() => resultsTable(trials, { rows: ['nope'], metrics: ['acc'] }), { message: /--rows nope: no such param/ });
  t.throws(() => resultsTable(trials, { rows: ['w'], metrics: ['nope'] }), { message: /no ok trial reports nope/ });
});

test('every table between fairsweep table markers in the README and docs is what the command makes from the committed results', async (t) => {
  const files = ['README.md', ...(await readdir(`${REPO_ROOT}docs`)).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  let tables = 0;
  for (const f of files) {
    const text = await readRepoText(f);
    const made = await regenerateDocTables(text, REPO_ROOT);
    tables += made.tables;
    t.is(made.text, text, `${f}: a table differs from \`fairsweep table\`; run \`fairsweep tables ${f}\``);
  }
  t.true(tables >= 6, `${tables} generated tables`);
});

test('a figure typed into a generated table is caught', async (t) => {
  const text = await readRepoText('README.md');
  const m = /<!-- fairsweep table [^\n]+ -->\n\|[^\n]*\n\|[^\n]*\n\| [^|]+ \| [^|]+ \| (\d\.\d+)/.exec(text);
  t.truthy(m, 'the README has a generated table');
  const edited = text.replace(m?.[0] ?? '', (m?.[0] ?? '').replace(/\d\.\d+$/, '0.999'));
  t.not((await regenerateDocTables(edited, REPO_ROOT)).text, edited);
  t.deepEqual(parseTableArgs("r.jsonl --rows a,b --metrics m --where 'k=x' --digits 1").options, { rows: ['a', 'b'], metrics: ['m'], where: { k: 'x' }, digits: 1 });
  t.deepEqual(parseCompareArgs('a.jsonl b.jsonl --baseline w=0,s=x --metrics m,n'), { results: 'a.jsonl', other: 'b.jsonl', baseline: { w: 0, s: 'x' }, metrics: ['m', 'n'] });
  // A compare block is checked like a table: a typed-in difference is caught.
  const repro = await readRepoText('docs/reproductions.md');
  t.regex(repro, /<!-- fairsweep compare /);
  const tampered = repro.replace(/\| 0\.247 \|/, '| 0.300 |');
  t.not(tampered, repro);
  t.not((await regenerateDocTables(tampered, REPO_ROOT)).text, tampered);
});

test('compare: paired differences from the baseline over shared seeds, by hand; unpaired seeds named', (t) => {
  const base = [trial({ w: 0 }, 0, { acc: 0.5 }), trial({ w: 0 }, 1, { acc: 0.6 }), trial({ w: 0 }, 2, { acc: 0.7 })];
  const other = [trial({ w: 1 }, 0, { acc: 0.6 }), trial({ w: 1 }, 1, { acc: 0.8 }), trial({ w: 1 }, 2, { acc: 0.75 }), trial({ w: 1 }, 3, { acc: 0.9 })];
  const rows = compareConfigurations({ baseline: { trials: [...base, ...other], name: 'r' }, filter: { w: 0 }, metrics: ['acc'] });
  t.is(rows.length, 1);
  const d = rows[0]?.difference;
  t.is(d?.n, 3);
  t.true(Math.abs((d?.mean ?? 0) - 0.35 / 3) < 1e-9);
  t.true(Math.abs((d?.ci?.[0] ?? 0) - (0.35 / 3 - 0.1897294)) < 1e-6);
  t.deepEqual(rows[0]?.unpaired_seeds, [3]);
  t.regex(comparisonMarkdown(rows, 0.95), /\| 1 \| acc \| 3 \| 0\.117 \| \[-0\.073, 0\.306\] \| 3 \|/);
  // Two files: each configuration against its namesake.
  const again = compareConfigurations({ baseline: { trials: base, name: 'a' }, other: { trials: [trial({ w: 0 }, 0, { acc: 0.55 })], name: 'b' }, metrics: ['acc'] });
  t.is(again[0]?.difference.n, 1);
  t.is(again[0]?.difference.ci, null);
  t.regex(comparisonMarkdown(again, 0.95), /undefined \(fewer than 2 seeds\)/);
  t.throws(() => compareConfigurations({ baseline: { trials: base, name: 'r' }, filter: { w: 5 }, metrics: ['acc'] }), { message: /no configuration in r has w=5/ });
});
