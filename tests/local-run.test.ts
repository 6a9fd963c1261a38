import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readResultsFile } from '../coordinator/results/index.js';
import { CLI, eventually } from './helpers/cluster.js';
import { reportFault } from './helpers/reliability.js';
import { REPO_ROOT } from './helpers/repo-files.js';
import { tempDir } from './helpers/temp-dir.js';

const run = promisify(execFile);

test('fairsweep run: a poison trial that kills its worker is retried up to max_attempts, then recorded failed; the rest completes', async (t) => {
  const dir = await tempDir(t, 'run');
  const spec = join(dir, 'poison.yaml');
  await writeFile(
    spec,
    `name: poison
method: sleep
params: { duration_ms: 50 }
grid:
  x: [1, 2, 3]
  crash_rate: [0, 1]
max_attempts: 3
objectives: [{ metric: score, goal: max }, { metric: cost, goal: min }]
`,
  );
  const out = join(dir, 'out');
  // One slot per worker: a poison trial kills its process, and with it the attempt of any trial
  // running beside it (JetStream counts that delivery); innocents must not run out of attempts.
  // A run with failed trials exits 4 (execFile rejects with the code and the output).
  const failedRun = await run(process.execPath, [CLI, 'run', spec, '--workers', '2', '--slots', '1', '--max-restarts', '30', '--out', out, '--ack-wait', '1500', '--json', '-q'], { timeout: 120_000 }).then(
    () => ({ code: 0, stdout: '' }),
    (err: { code?: number; stdout?: string }) => ({ code: err.code, stdout: err.stdout ?? '' }),
  );
  t.is(failedRun.code, 4, failedRun.stdout);
  const stdout = failedRun.stdout;
  const summary = JSON.parse(stdout.trim().split('\n').pop()!) as { state: string; ok: number; failed: number; total: number; failures: { error: string; count: number }[] };
  t.is(summary.state, 'completed');
  t.is(summary.total, 6);
  const rows = await readResultsFile(join(out, 'results.jsonl'));
  const innocentFailures = rows.filter((r) => r.params.crash_rate === 0 && r.status !== 'ok').map((r) => `${r.trial_id} attempts ${r.attempts}: ${r.error}`);
  t.deepEqual(innocentFailures, [], 'trials that do not crash complete');
  t.is(summary.ok, 3);
  t.is(summary.failed, 3);
  // Each error names its shard, so the three poison trials give three distinct errors.
  t.is(summary.failures.reduce((n, f) => n + f.count, 0), 3);
  for (const f of summary.failures) t.regex(f.error, /no result after 3 delivery attempt/);
  t.is(rows.length, 6);
  t.is(new Set(rows.map((r) => r.trial_id)).size, 6);
  reportFault('poison trial killing its worker (3 of 6 trials; max_attempts 3)', 6, rows.length, new Set(rows.map((r) => r.trial_id)).size);
  for (const r of rows) {
    if (r.params.crash_rate === 1) {
      t.is(r.status, 'failed');
      t.is(r.attempts, 3);
      t.regex(r.error ?? '', /no result after 3 delivery attempt/);
    } else t.is(r.status, 'ok');
  }
  const frontier = JSON.parse(await readFile(join(out, 'frontier.json'), 'utf8')) as { frontier: unknown[]; hypervolume: number | null };
  t.true(frontier.frontier.length > 0);
  t.is(typeof frontier.hypervolume, 'number');
  t.regex(await readFile(join(out, 'summary.txt'), 'utf8'), /6 recorded, 3 ok, 3 failed/);
});

/** Pids and command lines of the live child processes of `parent`. */
async function childrenOf(parent: number): Promise<{ pid: number; cmd: string }[]> {
  const out: { pid: number; cmd: string }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Field 4 (after the parenthesised command name) is the parent pid.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid !== parent) continue;
    out.push({ pid: Number(entry), cmd: (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ') });
  }
  return out;
}

const alive = async (pid: number): Promise<boolean> => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
};

test('fairsweep run: SIGTERM cancels the sweep, keeps the results so far and ends the workers and nats-server it started', async (t) => {
  const dir = await tempDir(t, 'run');
  const spec = join(dir, 'long.yaml');
  await writeFile(spec, `name: long\nmethod: sleep\nparams: { duration_ms: 60000 }\ngrid: { x: { linspace: [0, 1, 8] } }\nobjectives: [{ metric: score, goal: max }]\n`);
  const out = join(dir, 'out');
  const child = spawn(process.execPath, [CLI, 'run', spec, '--workers', '2', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  // Wait until both workers run a trial.
  await eventually(() => /running 2/.test(stderr), 60_000, 'both workers running a trial');
  const started = await childrenOf(child.pid!);
  t.is(started.filter((c) => c.cmd.includes(' worker ')).length, 2, started.map((c) => c.cmd).join('\n'));
  t.is(started.filter((c) => c.cmd.includes('nats-server')).length, 1, started.map((c) => c.cmd).join('\n'));
  const t0 = Date.now();
  child.kill('SIGTERM');
  const code = await exited;
  t.is(code, 130, 'a cancelled run exits 130');
  t.true(Date.now() - t0 < 30_000, `exited in ${Date.now() - t0} ms`);
  t.regex(stderr, /got SIGTERM; cancelling the sweep/);
  for (const c of started) t.false(await alive(c.pid), `${c.cmd} outlived the run`);
  t.regex(await readFile(join(out, 'summary.txt'), 'utf8'), /cancelled/);
});

test('fairsweep run: csv paths are relative to the directory it runs in, or to its --data-dir', async (t) => {
  const dir = await tempDir(t, 'run-data');
  const spec = join(REPO_ROOT, 'examples', 'csv.yaml'); // path: examples/data/loans.csv
  const summaryOf = (stdout: string): { state: string; ok: number; failed: number; total: number } => JSON.parse(stdout.trim().split('\n').pop()!);
  // From the repository root, as examples/csv.yaml says to run it.
  const here = await run(process.execPath, [CLI, 'run', spec, '--workers', '2', '--out', join(dir, 'here'), '--json', '-q'], { cwd: REPO_ROOT, timeout: 120_000 });
  t.like(summaryOf(here.stdout), { state: 'completed', ok: 9, failed: 0 });
  // From elsewhere, with the repository as the data directory.
  const elsewhere = await run(process.execPath, [CLI, 'run', spec, '--workers', '2', '--out', join(dir, 'elsewhere'), '--data-dir', REPO_ROOT, '--json', '-q'], { cwd: dir, timeout: 120_000 });
  t.like(summaryOf(elsewhere.stdout), { state: 'completed', ok: 9, failed: 0 });
  // From elsewhere without it, the path is looked up (and not found) under that directory.
  // Every trial fails, so the run exits 4 (docs/cli-exit-codes.md) and execFile rejects with its output.
  const lost = await run(process.execPath, [CLI, 'run', spec, '--workers', '1', '--out', join(dir, 'lost'), '--json', '-q'], { cwd: dir, timeout: 120_000 }).then(
    () => t.fail('a run whose every trial failed exited 0'),
    (err: { code?: number; stdout?: string }) => err,
  );
  t.is(lost?.code, 4);
  t.like(summaryOf(lost?.stdout ?? ''), { state: 'failed', ok: 0, failed: 9 });
  const [row] = await readResultsFile(join(dir, 'lost', 'results.jsonl'));
  t.regex(row?.error ?? '', /^dataset\.path: "examples\/data\/loans\.csv" is not a file in the worker's data directory \(ENOENT\)$/);
});
