import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildProgram, describeError } from '../cli/main.js';
import { CliError } from '../cli/cli-error.js';
import { connectionDetails } from '../cli/client.js';
import { EXIT_CODE_LINES, ExitCode, sweepExitCode } from '../cli/exit-codes.js';
import { failureGroups, formatFailures } from '../cli/failure-digest.js';
import { formatSummary } from '../cli/summary.js';
import { methodNames } from '../catalog/index.js';
import { Progress, SweepState } from '../proto/index.js';
import { CLI } from './helpers/cluster.js';
import { repoPath } from './helpers/repo-files.js';
import { tempDir } from './helpers/temp-dir.js';

const run = promisify(execFile);

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { timeout: 60_000, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function tmp(t: ExecutionContext, name: string, text: string): Promise<string> {
  const p = join(await tempDir(t, 'cli'), name);
  await writeFile(p, text);
  return p;
}

test('fairsweep metrics matches a hand-computed case', async (t) => {
  // group a: y_true 1 1 0 0, y_pred 1 0 1 0 -> acc .5, SR .5, TPR .5, FPR .5
  // group b: y_true 1 0 0 0, y_pred 1 0 0 0 -> acc 1, SR .25, TPR 1, FPR 0
  const csv = 'y_true,y_pred,group,y_score\n1,1,a,0.9\n1,0,a,0.4\n0,1,a,0.6\n0,0,a,0.2\n1,1,b,0.8\n0,0,b,0.3\n0,0,b,0.1\n0,0,b,0.45\n';
  const r = await cli(['metrics', await tmp(t, 'p.csv', csv)]);
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
  const path = await tmp(t, 'results.jsonl', `${lines.join('\n')}\n`);
  const r = await cli(['frontier', path, '--objective', 'acc:max', '--objective', 'dp:min', '--reference', '0,1', '--per-trial']);
  t.is(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { frontier: { trial_id: string }[]; hypervolume: number };
  // One seed per configuration: the configuration frontier is the same points, the failed line a configuration without an ok seed.
  const byConfig = await cli(['frontier', path, '--objective', 'acc:max', '--objective', 'dp:min', '--reference', '0,1']);
  const cdoc = JSON.parse(byConfig.stdout) as { level: string; configurations: number; without_ok_seed: number; frontier: { trial_ids: string[] }[]; hypervolume: number };
  t.is(cdoc.level, 'configuration');
  t.is(cdoc.configurations, 7);
  t.is(cdoc.without_ok_seed, 1);
  t.deepEqual(cdoc.frontier.map((f) => f.trial_ids[0]).sort(), doc.frontier.map((f) => f.trial_id).sort());
  t.is(cdoc.hypervolume, doc.hypervolume);
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

test('fairsweep table, compare and tables on a results file', async (t) => {
  const lines = [
    { params: { w: 0 }, seed: 0, metrics: { acc: 0.5 } },
    { params: { w: 0 }, seed: 1, metrics: { acc: 0.6 } },
    { params: { w: 1 }, seed: 0, metrics: { acc: 0.7 } },
    { params: { w: 1 }, seed: 1, metrics: { acc: 0.9 } },
    { params: { w: 1 }, seed: 2, status: 'failed', metrics: {} },
  ].map((l, i) => JSON.stringify({ trial_id: `t${i}`, ...l }));
  const path = await tmp(t, 'results.jsonl', `${lines.join('\n')}\n`);
  const table = await cli(['table', path, '--rows', 'w', '--metrics', 'acc']);
  t.is(table.code, 0, table.stderr);
  t.is(table.stdout, '| w | seeds | acc |\n| --- | --- | --- |\n| 0 | 2 | 0.550 ± 0.071 |\n| 1 | 2 of 3 (1 failed) | 0.800 ± 0.141 |\n');
  t.is((await cli(['table', path, '--rows', 'w', '--metrics', 'acc', '--format', 'csv'])).stdout.split('\n')[0], 'w,seeds,failed,acc mean,acc std');
  const cmp = await cli(['compare', path, '--baseline', 'w=0', '--metrics', 'acc', '--json']);
  t.is(cmp.code, 0, cmp.stderr);
  const rows = JSON.parse(cmp.stdout) as { params: { w: number }; difference: { n: number; mean: number; ci: [number, number] } }[];
  t.is(rows.length, 1);
  t.is(rows[0]?.difference.n, 2);
  t.true(Math.abs((rows[0]?.difference.mean ?? 0) - 0.25) < 1e-12); // (0.2 + 0.3) / 2
  // differences 0.2, 0.3: s = 0.0707, t(0.975, 1) · s/√2 = 12.7062 · 0.05
  t.true(Math.abs((rows[0]?.difference.ci[1] ?? 0) - (0.25 + 0.63531024)) < 1e-6);
  const doc = await tmp(t, 'doc.md', `x\n<!-- fairsweep table ${path} --rows w --metrics acc -->\nstale\n<!-- /fairsweep table -->\n`);
  t.is((await cli(['tables', doc, '--check'])).code, 1);
  t.is((await cli(['tables', doc])).code, 0);
  t.true((await readFile(doc, 'utf8')).includes('| 1 | 2 of 3 (1 failed) | 0.800 ± 0.141 |'));
  t.is((await cli(['tables', doc, '--check'])).code, 0);
});

test('bad input exits 1 (2 for usage) with one clear line and no stack trace', async (t) => {
  const cases: [string[], RegExp, number][] = [
    [['metrics', '/nonexistent.csv'], /nonexistent\.csv: cannot read/, 1],
    [['metrics', await tmp(t, 'bad.csv', 'y_true,y_pred\n1,1\n')], /group/, 1],
    [['frontier', await tmp(t, 'r.jsonl', '{"metrics":{}}\nnot json\n'), '--objective', 'a:max'], /line 2: not valid JSON/, 1],
    [['frontier', await tmp(t, 'r2.jsonl', '{}\n'), '--objective', 'a:up'], /--objective: expected METRIC:max or METRIC:min/, 1],
    [['frontier', await tmp(t, 'r3.jsonl', '{}\n'), '--objective', 'a:max:luckiest'], /the aggregate after the goal is one of mean, median, worst, best/, 1],
    [['frontier', await tmp(t, 'r4.jsonl', '{}\n'), '--objective', 'a:max', '--selection', 'peek'], /--selection: expected one of training-domain, leave-one-domain-out, oracle/, 1],
    [['table', await tmp(t, 'r5.jsonl', '{"params":{"w":1},"metrics":{"a":1}}\n'), '--rows', 'v', '--metrics', 'a'], /--rows v: no such param in the results \(params: w\)/, 1],
    [['compare', await tmp(t, 'r6.jsonl', '{"params":{"w":1},"metrics":{"a":1}}\n'), '--metrics', 'a'], /give --baseline KEY=VALUE/, 1],
    [['run', await tmp(t, 'bad.yaml', 'name: x\nmethod: sleep\ngrid: {a: [1, "b", ]}\nobjectives: [{metric: s, goal: best}]\n')], /invalid spec: .*objectives\[0\]\.goal/, 1],
    [['run', '/nonexistent.yaml'], /cannot read the spec/, 1],
    [['status', 'abc', '--coordinator', '127.0.0.1:1'], /cannot reach the coordinator at 127\.0\.0\.1:1/, 1],
    [['coordinator', '--nats', 'nats://127.0.0.1:1', '--grpc', 'nohost'], /--grpc: expected HOST:PORT/, 1],
    [['run', 'x.yaml', '--workers', 'many'], /--workers/, 2],
    [['frobnicate'], /unknown command/, 2],
  ];
  for (const [args, re, code] of cases) {
    const r = await cli(args);
    t.is(r.code, code, args.join(' '));
    t.regex(r.stderr, re, args.join(' '));
    t.notRegex(r.stderr, /\n\s+at /, `no stack trace for ${args.join(' ')}`);
  }
});

test('an unexpected error is a bug: exit 70 with its stack trace; a known one is one line, exit 1', (t) => {
  const bug = describeError(new TypeError("Cannot read properties of undefined (reading 'x')"), false);
  t.is(bug.code, ExitCode.Internal);
  t.regex(bug.text, /^fairsweep: internal error .*\nTypeError: Cannot read properties[^\n]*\n\s+at /);
  const known = describeError(new CliError('--format: expected jsonl'), false);
  t.deepEqual(known, { code: ExitCode.Error, text: 'fairsweep: error: --format: expected jsonl\n' });
  t.regex(describeError(new CliError('x'), true).text, /\n\s+at /, 'FAIRSWEEP_DEBUG=1 adds the stack of a known error');
  // Any typed error (its own name) is known, without a list to keep up to date; a bare Error is not.
  class ResultsFileError extends Error {
    override name = 'ResultsFileError';
  }
  t.deepEqual(describeError(new ResultsFileError('r.jsonl line 2: not valid JSON'), false), { code: ExitCode.Error, text: 'fairsweep: error: r.jsonl line 2: not valid JSON\n' });
  t.is(describeError(new Error('something unexpected'), false).code, ExitCode.Internal);
  t.is(describeError(new RangeError('Invalid array length'), false).code, ExitCode.Internal);
  t.is(describeError('a string', false).code, ExitCode.Internal);
  const eacces = Object.assign(new Error("EACCES: permission denied, open '/root/report.html'"), { code: 'EACCES', syscall: 'open' });
  t.is(describeError(eacces, false).code, ExitCode.Error, 'a failed system call is the environment, not a bug');
  t.not(ExitCode.Internal, ExitCode.Error);
});

test('the exit codes are listed by --help and in docs/cli-exit-codes.md, each distinct', async (t) => {
  const help = await cli(['--help']);
  t.is(help.code, 0);
  const doc = await readFile(repoPath('docs', 'cli-exit-codes.md'), 'utf8');
  t.is(new Set(EXIT_CODE_LINES.map(([c]) => c)).size, EXIT_CODE_LINES.length);
  for (const [code, text] of EXIT_CODE_LINES) {
    t.true(help.stdout.includes(`${String(code).padStart(3)}  ${text}`), `--help lists ${code}`);
    t.regex(doc, new RegExp(`^\\| ${code} \\|`, 'm'), `docs/cli-exit-codes.md has a row for ${code}`);
  }
});

const progress = (p: Partial<Progress>): Progress => Progress.fromPartial({ sweepId: 's', state: SweepState.SWEEP_STATE_COMPLETED, total: 9, ok: 9, failed: 0, frontierSize: 1, ...p });

test('a waited-for sweep exits by its counts: 0 all ok, 4 any failed, 3 cancelled', (t) => {
  t.is(sweepExitCode(progress({})), ExitCode.Ok);
  t.is(sweepExitCode(progress({ ok: 0, failed: 9 })), ExitCode.TrialsFailed, 'every trial failed');
  t.is(sweepExitCode(progress({ ok: 8, failed: 1 })), ExitCode.TrialsFailed, 'one failed');
  t.is(sweepExitCode(progress({ state: SweepState.SWEEP_STATE_CANCELLED, ok: 2, failed: 1 })), ExitCode.Cancelled);
});

test('failures are summed up as the first 3 distinct errors with their trial ids', (t) => {
  const rows = [
    ...Array.from({ length: 5 }, (_, i) => ({ trial_id: `a${i}`, status: 'failed', error: 'dataset "x": no such file\n  at load (x.js:1)' })),
    { trial_id: 'ok1', status: 'ok' },
    { trial_id: 'b0', status: 'failed', error: 'diverged: loss is NaN' },
    { trial_id: 'c0', status: 'failed', error: 'no result after 3 delivery attempts' },
    { trial_id: 'd0', status: 'failed', error: 'out of memory' },
  ];
  const groups = failureGroups(rows);
  t.deepEqual(groups.map((g) => [g.error, g.trial_ids, g.count]), [
    ['dataset "x": no such file', ['a0', 'a1', 'a2'], 5],
    ['diverged: loss is NaN', ['b0'], 1],
    ['no result after 3 delivery attempts', ['c0'], 1],
  ]);
  t.deepEqual(formatFailures(groups, 8, 9), [
    '8 of 9 trials failed (first 3 distinct errors):',
    '  a0, a1, a2 and 2 more: dataset "x": no such file',
    '  b0: diverged: loss is NaN',
    '  c0: no result after 3 delivery attempts',
    '  ... and 1 more failed trials with other errors',
  ]);
});

test('the summary of a sweep whose every trial failed says the frontier is empty and why', (t) => {
  const rows = Array.from({ length: 9 }, (_, i) => ({
    trial_id: `t${i}`, sweep_id: 's', index: i, params: { x: i }, seed: 0, status: 'failed' as const, metrics: {}, group_metrics: [], attempts: 1, worker: 'w', backend: 'cpu', started_at: null, finished_at: null, error: 'boom',
  }));
  const text = formatSummary('s', 'completed', rows, { objectives: [{ metric: 'score', goal: 'max' }], frontier: [], hypervolume: null, reference: null }, 1);
  t.regex(text, /^frontier: empty — 0 of 9 trials succeeded$/m);
  t.notRegex(text, /0 of 0 trials/);
  t.regex(text, /^9 of 9 trials failed:\n {2}t0, t1, t2 and 6 more: boom$/m);
});

test('validate checks a spec offline: counts, shards and method, or every error with its path (exit 1)', async (t) => {
  const offline = { PATH: '/nonexistent', FAIRSWEEP_NATS_URL: '', FAIRSWEEP_COORDINATOR: '' };
  const ok = await cli(['validate', repoPath('examples', 'quickstart.yaml')], offline);
  t.is(ok.code, 0, ok.stderr);
  // pack: auto (the default) puts each seed's six trials, which differ only in penalty_weight, in one shard.
  t.regex(ok.stdout, /quickstart\.yaml: valid: 12 trials in 2 shards \(shard size 6\), method irm on dataset spurious\n$/);
  const json = await cli(['validate', repoPath('examples', 'quickstart.yaml'), '--json'], offline);
  t.like(JSON.parse(json.stdout) as Record<string, unknown>, { valid: true, trials: 12, shards: 2, method: 'irm' });
  const bad = await tmp(t, 'bad.yaml', 'name: x\nmethod: irm\ndataset: {name: spurious}\nparams: {lrr: 1}\ngrid: {penalty_weigth: [1, 2, 3]}\nobjectives: [{metric: a, goal: max}]\n');
  const r = await cli(['validate', bad], offline);
  t.is(r.code, 1);
  t.is(r.stdout, '');
  t.is(r.stderr, `fairsweep: ${bad}: invalid spec, 2 errors:\n  params.lrr: unknown parameter of method "irm"; did you mean "lr"?\n  grid.penalty_weigth: unknown parameter of method "irm"; did you mean "penalty_weight"?\n`);
  const rj = await cli(['validate', bad, '--json'], offline);
  t.is(rj.code, 1);
  t.deepEqual((JSON.parse(rj.stdout) as { errors: { path: string }[] }).errors.map((e) => e.path), ['params.lrr', 'grid.penalty_weigth']);
  const big = await tmp(t, 'big.yaml', 'name: big\nmethod: sleep\ngrid: {x: {linspace: [0, 1, 50]}}\nobjectives: [{metric: score, goal: max}]\n');
  t.regex((await cli(['validate', big, '--max-trials', '10'], offline)).stderr, /grid: 50 trials .* exceeds this coordinator's limit of 10/);
});

test('submit refuses an invalid spec before contacting the coordinator', async (t) => {
  const bad = await tmp(t, 'bad.yaml', 'name: x\nmethod: sleep\nseed: [1]\nobjectives: [{metric: score, goal: max}]\n');
  const r = await cli(['submit', bad, '--coordinator', '127.0.0.1:1']);
  t.is(r.code, 1);
  t.is(r.stderr, `fairsweep: error: ${bad}: invalid spec: seed: unknown key; did you mean "seeds"?\n`);
  // --no-validate leaves the check to the coordinator (here: none is running).
  t.regex((await cli(['submit', bad, '--coordinator', '127.0.0.1:1', '--no-validate'])).stderr, /cannot reach the coordinator/);
});

test('frontier given a sweep id or --coordinator says to run frontier-of', async (t) => {
  const remote = await cli(['frontier', 'sweep-abc', '--coordinator', '127.0.0.1:50051']);
  t.is(remote.code, 1);
  t.regex(remote.stderr, /run `fairsweep frontier-of sweep-abc --coordinator 127\.0\.0\.1:50051`/);
  const noFile = await cli(['frontier', 'sweep-abc', '--objective', 'score:max']);
  t.is(noFile.code, 1);
  t.regex(noFile.stderr, /sweep-abc: no such file; .*`fairsweep frontier-of sweep-abc --coordinator HOST:PORT`/);
  t.regex((await cli(['frontier', await tmp(t, 'r.jsonl', '{}\n')])).stderr, /--objective METRIC:max\|min is required/);
});

test('an unreachable coordinator is described without grpc-js\'s empty "Resolution note"', async (t) => {
  t.is(connectionDetails('No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: '), 'connect ECONNREFUSED 127.0.0.1:1');
  t.is(connectionDetails('No connection established. Last error: Error: connect ECONNREFUSED 10.0.0.1:1. Resolution note: no addresses'), 'connect ECONNREFUSED 10.0.0.1:1; no addresses');
  const r = await cli(['status', 'abc', '--coordinator', '127.0.0.1:1']);
  t.notRegex(r.stderr, /Resolution note/);
  t.regex(r.stderr, /\(connect ECONNREFUSED 127\.0\.0\.1:1\)/);
});

test('--help: client commands list only client TLS flags, servers only server ones; run lists the methods', async (t) => {
  const flags = (name: string): string[] => buildProgram().commands.find((c) => c.name() === name)?.options.flatMap((o) => (o.long ? [o.long] : [])) ?? [];
  for (const client of ['submit', 'status', 'watch', 'cancel', 'results', 'workers', 'frontier-of', 'report']) {
    t.false(flags(client).includes('--tls-client-ca'), `${client} has no server-only --tls-client-ca`);
    t.true(flags(client).includes('--tls-ca'), `${client} has --tls-ca`);
  }
  for (const server of ['coordinator', 'worker']) {
    t.true(flags(server).includes('--tls-client-ca'), server);
    t.false(flags(server).includes('--tls-ca'), `${server} has no client-only --tls-ca`);
  }
  const help = await cli(['run', '--help']);
  t.is(help.code, 0);
  for (const m of methodNames()) t.regex(help.stdout, new RegExp(`^  ${m} +\\S`, 'm'), `run --help lists ${m}`);
  t.regex((await cli(['coordinator', '--nats', 'nats://127.0.0.1:1', '--grpc', '127.0.0.1:0', '--metrics', 'none', '--tls-client-ca', '/x.pem'])).stderr, /a client CA \(--tls-client-ca\) requires the server certificate and key \(--tls-cert and --tls-key\)/);
});
