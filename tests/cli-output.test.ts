import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NatsServer } from '../common/index.js';
import { resultsToCsv, type ResultRow } from '../cli/result-format.js';
import { CLI, spawnCli, spawnWorker, startNats, uniqueName, type CliProcess } from './helpers/cluster.js';

const exec = promisify(execFile);
let nats: NatsServer;
let coordinator: CliProcess;
let address = '';
let dir = '';
const workers: CliProcess[] = [];

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: Record<string, string> = {}, timeout = 120_000): Promise<Out> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], { timeout, env: { ...process.env, FAIRSWEEP_COORDINATOR: '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function spec(text: string): Promise<string> {
  const p = join(dir, `${uniqueName('spec')}.yaml`);
  await writeFile(p, text);
  return p;
}

/** RFC 4180: quoted fields may hold commas, quotes ("") and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\n') row.push(cell), rows.push(row), (row = []), (cell = '');
    else cell += c;
  }
  if (cell || row.length) row.push(cell), rows.push(row);
  return rows;
}

// Values that need quoting: a comma, a double quote, a list. Trials with fail_rate 1 fail, with 0
// succeed (0.5: either), so some fail and some succeed whatever the trial ids hash to.
const SWEEP = (name: string): string => `name: ${name}
method: sleep
params: { duration_ms: 30, x: 1 }
grid:
  fail_rate: [0, 0.5, 1]
  label: ["a,b", 'say "hi"', plain]
  widths: [[8, 4]]
seeds: [0]
max_attempts: 1
objectives: [{ metric: score, goal: max }, { metric: cost, goal: min }]
`;

let sweepId = '';

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fairsweep-cli-output-'));
  nats = await startNats();
  coordinator = spawnCli(['coordinator', '--nats', nats.url, '--grpc', '127.0.0.1:0', '--metrics', 'none']);
  address = (await coordinator.waitFor(/grpc=(\S+)/))[1]!;
  workers.push(await spawnWorker(nats.url, ['--slots', '2']));
});

test.after.always(async () => {
  await Promise.all([...workers, coordinator].map((p) => p?.kill('SIGKILL')));
  await nats?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test.serial('submit --wait --json prints one JSON object with the first failures and exits 4 when some trials failed', async (t) => {
  const r = await cli(['submit', await spec(SWEEP(uniqueName('out'))), '--coordinator', address, '--wait', '--json']);
  t.is(r.code, 4, r.stderr);
  t.is(r.stderr, '');
  const lines = r.stdout.trim().split('\n');
  t.is(lines.length, 1);
  const doc = JSON.parse(lines[0]!) as { sweep_id: string; total_trials: number; progress: { state: string; ok: number; failed: number; total: number }; failures: { error: string; trial_ids: string[]; count: number }[]; exit_code: number };
  t.is(doc.total_trials, 9);
  t.is(doc.progress.state, 'completed');
  t.is(doc.progress.ok + doc.progress.failed, 9);
  t.true(doc.progress.failed >= 3 && doc.progress.ok >= 3, 'the fail_rate 1 trials fail, the fail_rate 0 ones succeed');
  t.is(doc.exit_code, 4);
  t.true(doc.failures.length > 0 && doc.failures.length <= 2, 'one distinct error per failing fail_rate');
  t.is(doc.failures.reduce((n, f) => n + f.count, 0), doc.progress.failed, 'the errors shown cover every failed trial');
  for (const f of doc.failures) {
    t.regex(f.error, /injected failure/);
    for (const id of f.trial_ids) t.regex(id, /^t[0-9a-f]{24}$/);
  }
  sweepId = doc.sweep_id;
});

test.serial('submit --wait: every trial failed prints the errors with trial ids and exits 4; all ok exits 0', async (t) => {
  const failing = await cli(['submit', await spec(`name: ${uniqueName('allfail')}\nmethod: sleep\nparams: { duration_ms: 10, fail_rate: 1 }\ngrid: { x: [1, 2, 3, 4, 5] }\nmax_attempts: 1\nobjectives: [{ metric: score, goal: max }]\n`), '--coordinator', address, '--wait']);
  t.is(failing.code, 4, failing.stderr);
  // A sweep with no ok trial may end `completed` or, where the coordinator has that state, `failed`.
  t.regex(failing.stderr, /(completed|failed): 5\/5 done \(ok 0, failed 5, running 0\)/);
  t.regex(failing.stderr, /^5 of 5 trials failed:\n {2}t[0-9a-f]{24}, t[0-9a-f]{24}, t[0-9a-f]{24} and 2 more: injected failure \(fail_rate 1, attempt 1\)$/m);
  t.regex(failing.stderr, /fairsweep results \S+ --coordinator /);
  const fine = await cli(['submit', await spec(`name: ${uniqueName('allok')}\nmethod: sleep\nparams: { duration_ms: 10 }\ngrid: { x: [1, 2] }\nobjectives: [{ metric: score, goal: max }]\n`), '--coordinator', address, '--wait']);
  t.is(fine.code, 0, fine.stderr);
  t.notRegex(fine.stderr, /trials failed/);
});

test.serial('validate counts the trials and shards that submit plans', async (t) => {
  const text = `name: ${uniqueName('plan')}\nmethod: sleep\nparams: { duration_ms: 0 }\ngrid: { x: { linspace: [0, 1, 7] }, y: [a, b] }\nseeds: [0, 1, 2]\nshard_size: 5\nobjectives: [{ metric: score, goal: max }]\n`;
  const path = await spec(text);
  const v = JSON.parse((await cli(['validate', path, '--json'])).stdout) as { trials: number; shards: number };
  const s = JSON.parse((await cli(['submit', path, '--coordinator', address, '--json'])).stdout) as { total_trials: number; total_shards: number };
  t.deepEqual([v.trials, v.shards], [s.total_trials, s.total_shards]);
  t.deepEqual([v.trials, v.shards], [42, 9]);
});

test.serial('status: -q prints the state, --json the counts', async (t) => {
  const q = await cli(['status', sweepId, '--coordinator', address, '-q']);
  t.is(q.stdout, 'completed\n');
  const j = JSON.parse((await cli(['status', sweepId, '--coordinator', address, '--json'])).stdout) as { sweep_id: string; total: number; state: string };
  t.deepEqual([j.sweep_id, j.total, j.state], [sweepId, 9, 'completed']);
});

test.serial('watch on a finished sweep prints its final line once', async (t) => {
  const r = await cli(['watch', sweepId, '--coordinator', address]);
  t.is(r.code, 4, r.stderr);
  t.regex(r.stdout, new RegExp(`^${sweepId} completed: 9/9 done [^\\n]*\\n$`));
});

test.serial('watch --replay --json streams every result once, then the final progress; -q prints one line', async (t) => {
  const r = await cli(['watch', sweepId, '--coordinator', address, '--replay', '--json']);
  t.is(r.code, 4, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { result?: { trial_id: string }; progress?: { state: string } });
  const ids = events.flatMap((e) => (e.result ? [e.result.trial_id] : []));
  t.is(ids.length, 9);
  t.is(new Set(ids).size, 9);
  t.is(events.at(-1)?.progress?.state, 'completed');
  const q = await cli(['watch', sweepId, '--coordinator', address, '-q']);
  t.is(q.code, 4, 'the sweep has failed trials');
  t.regex(q.stdout, new RegExp(`^${sweepId} completed: 9/9 done \\(ok \\d, failed \\d, running 0\\), configurations \\d+, frontier \\d+( hypervolume \\S+)?\\n$`));
  const trialLevel = await cli(['watch', sweepId, '--coordinator', address, '-q', '--per-trial']);
  t.regex(trialLevel.stdout, new RegExp(`^${sweepId} completed: 9/9 done \\(ok \\d, failed \\d, running 0\\), frontier \\d+( hypervolume \\S+)?\\n$`));
});

test.serial('results --format csv: one header, one row per trial, quoting that round-trips', async (t) => {
  const jsonl = (await cli(['results', sweepId, '--coordinator', address])).stdout.trim().split('\n').map((l) => JSON.parse(l) as ResultRow);
  const csv = await cli(['results', sweepId, '--coordinator', address, '--format', 'csv']);
  t.is(csv.code, 0, csv.stderr);
  const table = parseCsv(csv.stdout);
  const header = table[0]!;
  t.is(table.length, 1 + 9);
  t.true(table.every((row) => row.length === header.length), 'every row has every column');
  for (const col of ['trial_id', 'status', 'error', 'param.x', 'param.label', 'param.widths', 'score', 'cost']) t.true(header.includes(col), col);
  const at = (row: string[], col: string): string => row[header.indexOf(col)] ?? '';
  const byId = new Map(jsonl.map((r) => [r.trial_id, r]));
  for (const row of table.slice(1)) {
    const r = byId.get(at(row, 'trial_id'))!;
    t.truthy(r);
    t.is(at(row, 'param.label'), r.params.label as string);
    t.is(at(row, 'param.widths'), '[8,4]');
    t.is(at(row, 'status'), r.status);
    t.is(at(row, 'error'), r.error ?? '');
    t.is(at(row, 'score'), r.status === 'ok' ? String(r.metrics.score) : '');
  }
  t.deepEqual(new Set(table.slice(1).map((row) => at(row, 'param.label'))), new Set(['a,b', 'say "hi"', 'plain']));
  const json = JSON.parse((await cli(['results', sweepId, '--coordinator', address, '--format', 'json'])).stdout) as unknown[];
  t.is(json.length, 9);
  const bad = await cli(['results', sweepId, '--coordinator', address, '--format', 'xml']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /--format: expected jsonl, json or csv, got "xml"/);
});

test('CSV of group metrics and non-finite values reads back as numbers', (t) => {
  const row: ResultRow = {
    trial_id: 't1', sweep_id: 's', index: 0, params: { a: 1 }, seed: 0, status: 'ok', attempts: 1, worker: 'w', backend: 'cpu', started_at: null, finished_at: null,
    metrics: { m: Number.POSITIVE_INFINITY, n: Number.NaN },
    group_metrics: [{ split: 'test', group: 'y=1,a=-1', metrics: { accuracy: 0.5 } }],
  };
  const table = parseCsv(resultsToCsv([row], { groupMetrics: true }));
  const header = table[0]!;
  t.true(header.includes('group:test:y=1,a=-1:accuracy'));
  t.is(table[1]![header.indexOf('group:test:y=1,a=-1:accuracy')], '0.5');
  t.is(table[1]![header.indexOf('m')], 'inf');
  t.is(table[1]![header.indexOf('n')], '');
  t.false(parseCsv(resultsToCsv([row]))[0]!.some((h) => h.startsWith('group:')));
});

test.serial('report SWEEP --coordinator fetches spec, results and frontier', async (t) => {
  const out = join(dir, 'remote', 'report.html');
  const r = await cli(['report', sweepId, '--coordinator', address, '--out', out]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout.trim(), out);
  const html = await readFile(out, 'utf8');
  const data = JSON.parse(/<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html)![1]!) as { sweep_id: string; trials: unknown[]; frontier_ids: string[]; spec_yaml: string };
  const frontier = JSON.parse((await cli(['frontier-of', sweepId, '--coordinator', address, '--per-trial'])).stdout) as { frontier: { trial_id: string }[] };
  const configurations = JSON.parse((await cli(['frontier-of', sweepId, '--coordinator', address])).stdout) as { level: string; frontier: { configuration_id: string }[] };
  t.is(configurations.level, 'configuration');
  t.deepEqual((data as unknown as { configuration_frontier_ids: string[] }).configuration_frontier_ids, configurations.frontier.map((f) => f.configuration_id));
  t.is(data.sweep_id, sweepId);
  t.is(data.trials.length, 9);
  t.deepEqual(data.frontier_ids, frontier.frontier.map((f) => f.trial_id));
  t.true(data.spec_yaml.includes('label: ["a,b"'));
});

test.serial('watch exits 3 for a cancelled sweep', async (t) => {
  const submitted = await cli(['submit', await spec(`name: ${uniqueName('cancel')}\nmethod: sleep\nparams: { duration_ms: 60000 }\ngrid: { x: [1, 2, 3, 4] }\nobjectives: [{ metric: score, goal: max }]\n`), '--coordinator', address, '-q']);
  t.is(submitted.stderr, '');
  const id = submitted.stdout.trim();
  // Without -q, watch prints a progress line as soon as it follows the sweep: cancel after that one.
  const watching = spawnCli(['watch', id, '--coordinator', address]);
  await watching.waitFor(new RegExp(`${id} running: `));
  t.is((await cli(['cancel', id, '--coordinator', address, '--json'])).code, 0);
  const w = await watching.exited;
  t.is(w.code, 3);
  t.regex(watching.output, new RegExp(`${id} cancelled: `));
});

test('errors say how to fix them', async (t) => {
  const unreachable = await cli(['status', 'abc', '--coordinator', '127.0.0.1:1']);
  t.is(unreachable.code, 1);
  t.regex(unreachable.stderr, /is `fairsweep coordinator` running at 127\.0\.0\.1:1\? Start it with `fairsweep coordinator --nats nats:\/\/HOST:4222 --grpc 127\.0\.0\.1:1`/);
  const missing = await cli(['status', 'abc']);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /--coordinator HOST:PORT is required \(or set FAIRSWEEP_COORDINATOR\)/);
  const noNats = await cli(['worker', '--nats', 'nats://127.0.0.1:1', '--backend', 'none', '--grpc', 'none']);
  t.is(noNats.code, 1);
  t.regex(noNats.stderr, /cannot connect to NATS at nats:\/\/127\.0\.0\.1:1 .*Start one with `nats-server -js` \(install: apt-get install -y nats-server/);
  const noBinary = await cli(['run', await spec(SWEEP(uniqueName('nobin'))), '--out', join(dir, 'nobin')], { PATH: '/nonexistent' });
  t.is(noBinary.code, 1);
  t.regex(noBinary.stderr, /"nats-server" was not found on PATH: install it \(Debian\/Ubuntu: apt-get install -y nats-server\)/);
});

test('run shows live progress lines (done/total, running, failed, throughput, ETA, frontier); -q --json prints only JSON', async (t) => {
  const lines = await cli(['run', await spec(SWEEP(uniqueName('lines')).replace('duration_ms: 30', 'duration_ms: 400')), '--workers', '1', '--progress', 'lines', '--out', join(dir, 'lines')]);
  t.is(lines.code, 4, `some trials fail: ${lines.stderr}`);
  t.regex(lines.stdout, /^\d of 9 trials failed( \(first 2 distinct errors\))?:\n {2}t[0-9a-f]{24}.*: injected failure/m);
  const progress = lines.stderr.split('\n').filter((l) => / done \| /.test(l));
  t.true(progress.length >= 2, lines.stderr);
  for (const l of progress) t.regex(l, /^\d+\/9 done \| ok \d+ failed \d+ running \d+ \| \d+(\.\d+)?\/s \| ETA (\?|\d+s|\d+m\d\ds) \| frontier \d+$/);
  t.regex(progress.at(-1)!, /^9\/9 done .* ETA 0s /);
  t.regex(lines.stdout, /wrote .*results\.jsonl, frontier\.json, summary\.txt, report\.html, frontier-trials\.json/);
  // The summary ranks configurations; one with every seed failed is counted, not dropped silently.
  t.regex(lines.stdout, /^frontier: \d+ of 9 configurations non-dominated on score \(max\), cost \(min\); selection: none/m);
  t.regex(lines.stdout, /^ {2}\d+ configuration\(s\) have no ok seed and are not ranked$/m);
  const quiet = await cli(['run', await spec(SWEEP(uniqueName('quiet'))), '--workers', '1', '-q', '--json', '--out', join(dir, 'quiet')]);
  t.is(quiet.code, 4, quiet.stderr);
  t.is(quiet.stderr, '');
  const doc = JSON.parse(quiet.stdout) as { state: string; total: number; report: string; failed: number; failures: { trial_ids: string[]; count: number }[]; exit_code: number };
  t.is(doc.state, 'completed');
  t.is(doc.exit_code, 4);
  t.is(doc.failures.reduce((n, f) => n + f.count, 0), doc.failed);
  t.is(doc.total, 9);
  t.is(doc.report, join(dir, 'quiet', 'report.html'));
});

test.serial('watch follows a sweep across a coordinator restart, each result once', async (t) => {
  const first = spawnCli(['coordinator', '--nats', nats.url, '--grpc', '127.0.0.1:0', '--metrics', 'none']);
  const addr = (await first.waitFor(/grpc=(\S+)/))[1]!;
  let second: CliProcess | undefined;
  try {
    const submitted = await cli(['submit', await spec(`name: ${uniqueName('rewatch')}\nmethod: sleep\nparams: { duration_ms: 600 }\ngrid: { x: { linspace: [0, 1, 30] } }\nobjectives: [{ metric: score, goal: max }]\n`), '--coordinator', addr, '-q']);
    const id = submitted.stdout.trim();
    const watch = spawnCli(['watch', id, '--coordinator', addr, '--json', '--replay']);
    await watch.waitFor(/("result"[\s\S]*){3}/, 30_000);
    await first.kill('SIGKILL');
    await watch.waitFor(/lost the coordinator at .*; reconnecting/);
    second = spawnCli(['coordinator', '--nats', nats.url, '--grpc', addr, '--metrics', 'none']);
    await second.waitFor(/grpc=/);
    const exit = await watch.exited;
    t.is(exit.code, 0, watch.output);
    t.regex(watch.output, /lost the coordinator at .*; reconnecting/);
    const ids = watch.output.split('\n').filter((l) => l.startsWith('{"result"')).map((l) => (JSON.parse(l) as { result: { trial_id: string } }).result.trial_id);
    t.is(ids.length, 30);
    t.is(new Set(ids).size, 30);
    t.regex(watch.output.trim().split('\n').at(-1)!, /"state":"completed"/);
  } finally {
    await Promise.all([first.kill('SIGKILL'), second?.kill('SIGKILL')]);
  }
});
