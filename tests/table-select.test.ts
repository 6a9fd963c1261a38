import test from 'ava';
import { parseTableArgs } from '../cli/doc-tables.js';
import { resultsTable } from '../cli/table-format.js';
import { chooseConfiguration, parseConstraint, parseFrontier, parseSelection } from '../cli/table-select.js';
import { summarizeConfigurations, type TrialLike } from '../coordinator/configurations/index.js';
import { CliError } from '../cli/cli-error.js';

function trial(params: Record<string, number | string>, seed: number, metrics: Record<string, number>, status: 'ok' | 'failed' = 'ok'): TrialLike {
  return { trial_id: `t${JSON.stringify(params)}${seed}`, params, seed, status, metrics };
}

// Two fine-tuning configs, three coefficients each; validation (val_*) and test (test_*) metrics.
const trials: TrialLike[] = [
  trial({ ft: 'full', c: 0 }, 0, { val_acc: 0.8, val_gap: 0.3, test_acc: 0.78 }),
  trial({ ft: 'full', c: 0 }, 1, { val_acc: 0.82, val_gap: 0.32, test_acc: 0.8 }),
  trial({ ft: 'full', c: 1 }, 0, { val_acc: 0.9, val_gap: 0.2, test_acc: 0.7 }),
  trial({ ft: 'full', c: 1 }, 1, { val_acc: 0.88, val_gap: 0.22, test_acc: 0.72 }),
  trial({ ft: 'full', c: 2 }, 0, { val_acc: 0.85, val_gap: 0.05, test_acc: 0.9 }),
  trial({ ft: 'full', c: 2 }, 1, {}, 'failed'),
  trial({ ft: 'lora', c: 0 }, 0, { val_acc: 0.6, val_gap: 0.4, test_acc: 0.6 }),
  trial({ ft: 'lora', c: 1 }, 0, { val_acc: 0.7, val_gap: 0.3, test_acc: 0.5 }),
];

test('table --select: per row the best mean of the selection metric, its test metrics beside, the chosen params named', (t) => {
  const md = resultsTable(trials, { rows: ['ft'], metrics: ['test_acc', 'val_acc'], select: parseSelection('val_acc:max') });
  t.is(
    md,
    [
      '| ft | chosen | seeds | test_acc | val_acc |',
      '| --- | --- | --- | --- | --- |',
      // full: means c0 0.81, c1 0.89, c2 0.85 (one ok seed) -> c1, although c2 is best on test.
      '| full | c=1 | 2 | 0.710 ± 0.014 | 0.890 ± 0.014 |',
      '| lora | c=1 | 1 | 0.500 | 0.700 |',
      '',
      '*Chosen: per row, the configuration with the highest mean val_acc.*',
      '',
    ].join('\n'),
  );
});

test('table --select with --constraint: only configurations meeting the bound; a row with none says so', (t) => {
  const md = resultsTable(trials, { rows: ['ft'], metrics: ['test_acc'], select: parseSelection('val_acc:max'), constraints: [parseConstraint('val_gap<=0.1')] }).split('\n');
  // full: only c2 (gap 0.05) meets it, a failed seed counted; lora: none.
  t.is(md[2], '| full | c=2 | 1 of 2 (1 failed) | 0.900 |');
  t.is(md[3], '| lora | none meets the constraints | — | — |');
  t.is(md[5], '*Chosen: per row, the configuration with the highest mean val_acc with val_gap ≤ 0.1.*');
  const lowest = resultsTable(trials, { rows: ['ft'], metrics: ['val_gap'], select: parseSelection('val_gap:min'), format: 'csv' }).split('\n');
  t.is(lowest[0], 'ft,chosen,seeds,failed,val_gap mean,val_gap std');
  t.is(lowest[1], 'full,c=2,1,1,0.05,');
  t.regex(lowest[2] ?? '', /^lora,c=1,1,0,0\.3,$/);
});

test('chooseConfiguration: ties go to the first in results order; configurations without the metric are never chosen', (t) => {
  const rows = summarizeConfigurations(
    [trial({ c: 0 }, 0, { m: 1 }), trial({ c: 1 }, 0, { m: 1 }), trial({ c: 2 }, 0, {}, 'failed')],
    ['m'],
  );
  t.deepEqual(chooseConfiguration(rows, { metric: 'm', goal: 'max' }, [])?.params, { c: 0 });
  t.deepEqual(chooseConfiguration(rows, { metric: 'm', goal: 'min' }, [])?.params, { c: 0 });
  t.is(chooseConfiguration(rows, { metric: 'm', goal: 'max' }, [{ metric: 'm', op: '>=', value: 2 }]), undefined);
});

test('--select and --constraint: bad text is an error naming the flag and the text', (t) => {
  t.throws(() => parseSelection('val_acc'), { instanceOf: CliError, message: /--select: expected METRIC:max or METRIC:min, got "val_acc"/ });
  t.throws(() => parseSelection('val_acc:best'), { instanceOf: CliError, message: /got "val_acc:best"/ });
  t.throws(() => parseConstraint('gap<0.1'), { instanceOf: CliError, message: /--constraint: expected METRIC<=NUMBER or METRIC>=NUMBER, got "gap<0.1"/ });
  t.throws(() => parseConstraint('gap<=x'), { instanceOf: CliError, message: /got "gap<=x"/ });
  t.deepEqual(parseConstraint('test/eod >= 0.5'), { metric: 'test/eod', op: '>=', value: 0.5 });
  t.throws(() => resultsTable(trials, { rows: ['ft'], metrics: ['test_acc'], select: parseSelection('nope:max') }), { instanceOf: CliError, message: /--select nope: no ok trial of ft=full reports it/ });
  // Without --select, several configurations per row stay an error, which now points at --select.
  t.throws(() => resultsTable(trials, { rows: ['ft'], metrics: ['test_acc'] }), { instanceOf: CliError, message: /differ in c: .*--select/ });
});

test('a document table may use --select and --constraint; a constraint alone is refused', (t) => {
  const { options } = parseTableArgs('r.jsonl --rows ft --select val_acc:max --constraint val_gap<=0.1 --metrics test_acc');
  t.deepEqual(options.select, { metric: 'val_acc', goal: 'max' });
  t.deepEqual(options.constraints, [{ metric: 'val_gap', op: '<=', value: 0.1 }]);
  t.throws(() => parseTableArgs('r.jsonl --rows ft --constraint val_gap<=0.1 --metrics test_acc'), { instanceOf: CliError, message: /--constraint needs --select/ });
});

test('table --frontier: only the configurations non-dominated on the means, best first on the first metric, counted under the table', (t) => {
  // Means (val_acc, val_gap): full c0 (0.81, 0.31), c1 (0.89, 0.21), c2 (0.85, 0.05: one ok seed);
  // lora c0 (0.6, 0.4), c1 (0.7, 0.3). c1 dominates full c0, full c2 dominates both lora rows.
  const md = resultsTable(trials, { rows: ['ft', 'c'], metrics: ['test_acc'], frontier: parseFrontier('val_acc:max,val_gap:min') });
  t.is(
    md,
    [
      '| ft | c | seeds | test_acc |',
      '| --- | --- | --- | --- |',
      '| full | 1 | 2 | 0.710 ± 0.014 |',
      '| full | 2 | 1 of 2 (1 failed) | 0.900 |',
      '',
      "*The frontier of val_acc (max) and val_gap (min) over the configurations' means: 2 of 5.*",
      '',
    ].join('\n'),
  );
  // Best first on the first metric named: with the gap first, c2 leads.
  t.regex(resultsTable(trials, { rows: ['ft', 'c'], metrics: ['test_acc'], frontier: parseFrontier('val_gap:min,val_acc:max') }).split('\n')[2] ?? '', /^\| full \| 2 \|/);
  // --where narrows before the frontier is taken: among lora rows, c1 dominates c0.
  t.regex(resultsTable(trials, { rows: ['c'], metrics: ['val_acc'], where: { ft: 'lora' }, frontier: parseFrontier('val_acc:max,val_gap:min') }), /\| 1 \| 1 \| 0\.700 \|\n\n\*The frontier .*: 1 of 2\./);
});

test('table --frontier: bad uses name what is wrong', (t) => {
  t.throws(() => parseFrontier('val_acc:max'), { instanceOf: CliError, message: /two or more METRIC:goal/ });
  t.throws(() => parseFrontier('val_acc:max,val_acc:min'), { instanceOf: CliError, message: /val_acc is named twice/ });
  t.throws(() => parseFrontier('val_acc:max,val_gap:lowest'), { instanceOf: CliError, message: /--frontier: expected METRIC:max or METRIC:min, got "val_gap:lowest"/ });
  t.throws(() => resultsTable(trials, { rows: ['ft', 'c'], metrics: ['test_acc'], frontier: parseFrontier('val_acc:max,nope:min') }), { instanceOf: CliError, message: /--frontier nope: no ok trial reports it/ });
  t.throws(() => resultsTable(trials, { rows: ['ft'], metrics: ['test_acc'], select: parseSelection('val_acc:max'), frontier: parseFrontier('val_acc:max,val_gap:min') }), { instanceOf: CliError, message: /--select and --frontier/ });
});

test('table --param-digits: numeric params to significant digits, larger ones whole, in lists too', (t) => {
  const rows = [trial({ l2: 0.0000361234, w: 36351.234, lr: 0.00241 }, 0, { m: 1 })].map((r) => ({ ...r, params: { ...r.params, h: [116, 116] } }));
  const md = resultsTable(rows, { rows: ['l2', 'w', 'lr', 'h'], metrics: ['m'], paramDigits: 2 }).split('\n');
  t.is(md[2], '| 0.000036 | 36351 | 0.0024 | [116,116] | 1 | 1.000 |');
  t.is(resultsTable(rows, { rows: ['l2'], metrics: ['m'] }).split('\n')[2], '| 0.0000361234 | 1 | 1.000 |');
  const parsed = parseTableArgs('r.jsonl --rows c --metrics m --frontier a:max,b:min --param-digits 3');
  t.deepEqual(parsed.options.frontier, [{ metric: 'a', goal: 'max' }, { metric: 'b', goal: 'min' }]);
  t.is(parsed.options.paramDigits, 3);
  t.throws(() => parseTableArgs('r.jsonl --rows c --metrics m --param-digits 0'), { instanceOf: CliError, message: /--param-digits expects a whole number from 1 to 17, got "0"/ });
});
