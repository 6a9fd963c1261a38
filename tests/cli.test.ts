import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI } from './helpers/cluster.js';

const run = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function tmp(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fairsweep-cli-'));
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
}

test('fairsweep metrics matches a hand-computed case', async (t) => {
  // group a: y_true 1 1 0 0, y_pred 1 0 1 0 -> acc .5, SR .5, TPR .5, FPR .5
  // group b: y_true 1 0 0 0, y_pred 1 0 0 0 -> acc 1, SR .25, TPR 1, FPR 0
  const csv = 'y_true,y_pred,group,y_score\n1,1,a,0.9\n1,0,a,0.4\n0,1,a,0.6\n0,0,a,0.2\n1,1,b,0.8\n0,0,b,0.3\n0,0,b,0.1\n0,0,b,0.45\n';
  const r = await cli(['metrics', await tmp('p.csv', csv)]);
  t.is(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout) as Record<string, number> & { per_group: Record<string, Record<string, number>> };
  t.is(m.n, 8);
  t.is(m.accuracy, 6 / 8);
  t.is(m.worst_group_accuracy, 0.5);
  t.is(m.demographic_parity_difference, 0.25);
  t.is(m.demographic_parity_ratio, 0.5);
  t.is(m.equal_opportunity_difference, 0.5);
  t.is(m.equalized_odds_difference, 0.5);
  // ECE, 15 bins: confidences .9 .6 .6 .8 .8 .7 .9 .55; correct: 1 0 0 1 1 1 1 1
  // bins (by c): (0.533,0.6]: .6(0) .6(0) .55(1) -> acc 1/3, conf .5833; (0.667,0.733]: .7(1); (0.733,0.8]: .8 .8 (1,1); (0.867,0.933]: .9 .9 (1,1)
  const ece = (3 / 8) * Math.abs(1 / 3 - (0.6 + 0.6 + 0.55) / 3) + (1 / 8) * 0.3 + (2 / 8) * 0.2 + (2 / 8) * 0.1;
  t.true(Math.abs((m.ece ?? NaN) - ece) < 1e-12, `ece ${m.ece} vs ${ece}`);
  t.deepEqual(m.per_group.b, { n: 4, accuracy: 1, selection_rate: 0.25, tpr: 1, fpr: 0 });
});

test('fairsweep frontier agrees with a brute-force frontier and hypervolume', async (t) => {
  const points: [number, number][] = [[0.9, 0.3], [0.8, 0.1], [0.7, 0.05], [0.85, 0.3], [0.6, 0.2], [0.8, 0.1]];
  const lines = points.map(([a, d], i) => JSON.stringify({ trial_id: `t${i}`, status: 'ok', params: { i }, seed: 0, metrics: { acc: a, dp: d } }));
  lines.push(JSON.stringify({ trial_id: 'failed', status: 'failed', metrics: {} }));
  const path = await tmp('results.jsonl', `${lines.join('\n')}\n`);
  const r = await cli(['frontier', path, '--objective', 'acc:max', '--objective', 'dp:min', '--reference', '0,1']);
  t.is(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { frontier: { trial_id: string }[]; hypervolume: number };
  const brute = points
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => !points.some((q) => q[0] >= p[0] && q[1] <= p[1] && (q[0] > p[0] || q[1] < p[1])))
    .map(({ i }) => `t${i}`)
    .sort();
  t.deepEqual(doc.frontier.map((f) => f.trial_id).sort(), brute);
  // Non-dominated: (0.9,0.3), (0.8,0.1) twice, (0.7,0.05). Area vs (acc 0, dp 1), staircase:
  const hv = 0.9 * (1 - 0.3) + 0.8 * (0.3 - 0.1) + 0.7 * (0.1 - 0.05);
  t.true(Math.abs(doc.hypervolume - hv) < 1e-12, `${doc.hypervolume} vs ${hv}`);
});

test('bad input exits non-zero with one clear line and no stack trace', async (t) => {
  const cases: [string[], RegExp][] = [
    [['metrics', '/nonexistent.csv'], /nonexistent\.csv: cannot read/],
    [['metrics', await tmp('bad.csv', 'y_true,y_pred\n1,1\n')], /group/],
    [['frontier', await tmp('r.jsonl', '{"metrics":{}}\nnot json\n'), '--objective', 'a:max'], /line 2: not valid JSON/],
    [['frontier', await tmp('r2.jsonl', '{}\n'), '--objective', 'a:up'], /--objective: expected METRIC:max or METRIC:min/],
    [['run', await tmp('bad.yaml', 'name: x\nmethod: sleep\ngrid: {a: [1, "b", ]}\nobjectives: [{metric: s, goal: best}]\n')], /invalid spec: .*objectives\[0\]\.goal/],
    [['run', '/nonexistent.yaml'], /cannot read the spec/],
    [['status', 'abc', '--coordinator', '127.0.0.1:1'], /cannot reach the coordinator at 127\.0\.0\.1:1/],
    [['run', 'x.yaml', '--workers', 'many'], /--workers/],
    [['frobnicate'], /unknown command/],
  ];
  for (const [args, re] of cases) {
    const r = await cli(args);
    t.not(r.code, 0, args.join(' '));
    t.regex(r.stderr, re, args.join(' '));
    t.notRegex(r.stderr, /\n\s+at /, `no stack trace for ${args.join(' ')}`);
  }
});
