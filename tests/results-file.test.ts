import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrialResult, TrialStatus, toParamMap } from '../proto/index.js';
import { toResultRow } from '../cli/result-format.js';
import { parseResultsJsonl, readResultsFile, ResultsFileError } from '../coordinator/results/index.js';

const result = (over: Partial<TrialResult>): TrialResult =>
  TrialResult.fromPartial({
    trialId: 't-1', sweepId: 's-1', index: 3, params: toParamMap({ lr: 0.1, hidden: [8, 4], label: 'a,b', flag: true }), seed: 2,
    status: TrialStatus.TRIAL_STATUS_OK, metrics: { 'test/accuracy': 0.75, cost: 2 }, groupMetrics: [{ split: 'test', group: 'y=1,a=-1', metrics: { accuracy: 0.5 } }],
    attempts: 1, workerId: 'w-1', backend: 'cpu', startedAtMs: 1_700_000_000_000, finishedAtMs: 1_700_000_001_000, ...over,
  });

test('reads back exactly what `fairsweep run` writes, failed rows included, in file order', (t) => {
  const rows = [toResultRow(result({})), toResultRow(result({ trialId: 't-2', index: 4, status: TrialStatus.TRIAL_STATUS_FAILED, metrics: {}, groupMetrics: [], error: 'boom', startedAtMs: 0 }))];
  const text = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  t.deepEqual(parseResultsJsonl(text, 'results.jsonl'), JSON.parse(JSON.stringify(rows)) as unknown);
});

test('NaN and infinite metrics (written as null) read as missing; blank lines are skipped; hand-written lines get defaults', (t) => {
  const written = JSON.stringify(toResultRow(result({ metrics: { a: Number.NaN, b: Number.POSITIVE_INFINITY, c: 1 } })));
  const [row, bare] = parseResultsJsonl(`${written}\n\n{"metrics":{"m":1}}\r\n`, 'r.jsonl');
  t.deepEqual(row?.metrics, { c: 1 });
  t.deepEqual(bare, { trial_id: 'line-3', params: {}, seed: 0, status: 'ok', metrics: { m: 1 }, group_metrics: [] });
});

test('a malformed line is an error naming the file, the line and the field', (t) => {
  const cases: [string, RegExp][] = [
    ['{"trial_id":"a"}\nnot json\n', /^f\.jsonl line 2: not valid JSON/],
    ['[1, 2]\n', /^f\.jsonl line 1: expected a JSON object/],
    ['{"trial_id":"a","metrics":{"acc":"high"}}\n', /^f\.jsonl line 1: "metrics\.acc": .*number/],
    ['{}\n{"status":"done"}\n', /^f\.jsonl line 2: "status": .*"ok"\|"failed"/],
    ['{"params":{"lr":{"x":1}}}\n', /^f\.jsonl line 1: "params\.lr": expected a number, string, boolean or list/],
    ['{"group_metrics":[{"split":"test","group":"g","metrics":{"m":1}},{"split":"test"}]}\n', /^f\.jsonl line 1: "group_metrics\[1\]\.group": /],
  ];
  for (const [text, re] of cases) {
    const err = t.throws(() => parseResultsJsonl(text, 'f.jsonl'), { instanceOf: ResultsFileError }, text);
    t.regex(err?.message ?? '', re, text);
  }
});

test('readResultsFile names a file it cannot read', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fairsweep-results-'));
  try {
    await t.throwsAsync(readResultsFile(join(dir, 'missing.jsonl')), { instanceOf: ResultsFileError, message: /missing\.jsonl: cannot read the results \(ENOENT\)/ });
    await writeFile(join(dir, 'ok.jsonl'), '{"trial_id":"x","metrics":{"m":2}}\n');
    t.deepEqual((await readResultsFile(join(dir, 'ok.jsonl'))).map((r) => r.trial_id), ['x']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
