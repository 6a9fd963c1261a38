import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { CoordinatorServer } from '../coordinator/index.js';
import { NatsServer } from '../common/index.js';
import { EVENTS_SUBJECTS, artifactsBucketDescription, artifactsCapOf, TrialEvent, TrialEvent_Kind, TrialStatus, type TrialResult } from '../proto/index.js';
import { spawnCli, eventually, uniqueName } from './helpers/cluster.js';
import { sweepFixture } from './helpers/sweep-fixture.js';
import { listArtifacts } from '../coordinator/artifacts/index.js';
import { toResultRow } from '../cli/result-format.js';
import { repoPath } from './helpers/repo-files.js';
import { tempDir } from './helpers/temp-dir.js';

const fixture = sweepFixture(test, { coordinator: { ackWaitMs: 3_000 }, killBeforeEach: true });
const PROGRAM = repoPath('tests', 'helpers', 'command-program.mjs');

/** A sweep of `program` trials; resolves with its results once it has ended. */
async function sweep(command: readonly string[], params: string, grid = 'x: [1]', extra = ''): Promise<TrialResult[]> {
  return (await sweepWithId(command, params, grid, extra)).results;
}

async function sweepWithId(command: readonly string[], params: string, grid = 'x: [1]', extra = ''): Promise<{ sweepId: string; results: TrialResult[] }> {
  const c = fixture.server.coordinator;
  const spec = `name: ${uniqueName('cmd')}\nmethod: command\nparams: { command: ${JSON.stringify(command)}, ${params} }\ngrid: { ${grid} }\n${extra}objectives: [{ metric: test/accuracy, goal: max }]\n`;
  const { sweepId } = await c.submit(spec);
  const agg = c.sweep(sweepId);
  await eventually(() => agg.finished, 120_000, 'the sweep to end');
  return { sweepId, results: c.results(sweepId) };
}

test.serial('a worker without --allow-command fails command trials, saying so, without retrying them', async (t) => {
  await fixture.worker();
  const results = await sweep([process.execPath, PROGRAM], 'behaviour: ok', 'x: [1]', 'max_attempts: 3\n');
  t.is(results.length, 1);
  t.is(results[0]?.status, TrialStatus.TRIAL_STATUS_FAILED);
  t.regex(results[0]?.error ?? '', /refuses command trials.*--allow-command/);
  t.is(results[0]?.attempts, 1);
});

test.serial('the Node example runs as a sweep: every built-in metric per split, its own metrics merged, progress events on the sweep', async (t) => {
  await fixture.worker('--allow-command', '--slots', '2');
  const nc = await connect({ servers: fixture.nats.url });
  const progress: TrialEvent[] = [];
  const sub = nc.subscribe(EVENTS_SUBJECTS, {
    callback: (_err, msg) => {
      const ev = TrialEvent.decode(msg.data);
      if (ev.kind === TrialEvent_Kind.KIND_PROGRESS) progress.push(ev);
    },
  });
  try {
    const results = await sweep([process.execPath, repoPath('examples', 'byo', 'train.mjs')], 'steps: 100', 'lr: [0.1, 0.3]');
    t.is(results.length, 2);
    for (const r of results) {
      t.is(r.status, TrialStatus.TRIAL_STATUS_OK, r.error);
      for (const m of ['train/accuracy', 'val/worst_group_accuracy', 'test/demographic_parity_difference', 'test/ece', 'train/env0/accuracy', 'train/worst_env_accuracy', 'train/loss', 'model/w_spurious']) {
        t.is(typeof r.metrics[m], 'number', m);
      }
      t.true(r.groupMetrics.some((g) => g.split === 'test' && g.group === 'y=1,1'));
      t.is(r.gpu, undefined);
    }
    // Each trial's last line (step 100) reaches the sweep's events at least.
    await eventually(() => new Set(progress.filter((e) => e.step === 100).map((e) => e.trialId)).size === 2, 10_000, 'progress events');
    t.true(progress.every((e) => (e.step === 50 || e.step === 100) && typeof e.metrics['train/loss'] === 'number'));
  } finally {
    sub.unsubscribe();
    await nc.close();
  }
});

test.serial('the standard-library Python example runs as a sweep (python3 on PATH)', async (t) => {
  let python: string;
  try {
    python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  } catch {
    // Without python3 the Node example above covers the same contract; say so in the output.
    t.log('python3 not found: the Node example covers the command contract');
    t.pass();
    return;
  }
  await fixture.worker('--allow-command');
  const results = await sweep([python, repoPath('examples', 'byo', 'train_stdlib.py')], 'steps: 50', 'lr: [0.3]');
  t.is(results[0]?.status, TrialStatus.TRIAL_STATUS_OK, results[0]?.error);
  t.true((results[0]?.metrics['test/accuracy'] ?? NaN) > 0);
});

test.serial('a failed attempt is retried as a built-in trial is: the next attempt succeeds', async (t) => {
  await fixture.worker('--allow-command');
  const { sweepId, results } = await sweepWithId([process.execPath, PROGRAM], 'behaviour: flaky', 'x: [1]', 'max_attempts: 3\n');
  t.is(results[0]?.status, TrialStatus.TRIAL_STATUS_OK, results[0]?.error);
  t.is(results[0]?.attempts, 2);
  // The failed attempt's log is kept beside the successful one's.
  const nc = await connect({ servers: fixture.nats.url });
  try {
    const names = (await listArtifacts(nc, sweepId)).map((i) => i.name);
    const trial = results[0]?.trialId ?? '';
    t.true(names.includes(`${trial}/a1/log.txt`) && names.includes(`${trial}/a2/log.txt`), names.join(', '));
  } finally {
    await nc.close();
  }
});

test.serial('slots are pinned to GPUs (--gpus, --slots-per-gpu): the program sees its GPU and the result records it', async (t) => {
  await fixture.worker('--allow-command', '--gpus', '3,4', '--slots-per-gpu', '2');
  const results = await sweep([process.execPath, PROGRAM], 'behaviour: ok', 'x: [1, 2, 3, 4, 5, 6]', 'shard_size: 1\n');
  t.is(results.length, 6);
  for (const r of results) {
    t.is(r.status, TrialStatus.TRIAL_STATUS_OK, r.error);
    t.true(r.gpu === 3 || r.gpu === 4);
    t.is(r.metrics['env/cuda_visible_devices'], r.gpu);
  }
  t.deepEqual(results.map((r) => toResultRow(r).gpu), results.map((r) => r.gpu), 'results.jsonl rows carry the GPU');
});

const alive = async (pid: number): Promise<boolean> => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
};

test.serial('a worker killed with SIGKILL leaves no program running: the trial\'s whole process group dies with it', async (t) => {
  const dir = await tempDir(t, 'cmd-orphans');
  const pidFile = join(dir, 'pids');
  const w = await fixture.worker('--allow-command');
  const c = fixture.server.coordinator;
  const spec = `name: ${uniqueName('orphans')}\nmethod: command\nparams: { command: ${JSON.stringify([process.execPath, PROGRAM])}, behaviour: spawn, pid_file: ${JSON.stringify(pidFile)} }\ngrid: { x: [1] }\nobjectives: [{ metric: test/accuracy, goal: max }]\n`;
  const { sweepId } = await c.submit(spec);
  const pids = (await eventually(() => readFile(pidFile, 'utf8').then((s) => (s.trim().split('\n').length === 2 ? s : undefined)), 30_000, 'the program and its child'))
    .trim()
    .split('\n')
    .map(Number);
  t.true((await Promise.all(pids.map(alive))).every(Boolean), 'program and grandchild running');
  await w.kill('SIGKILL');
  await eventually(async () => (await Promise.all(pids.map(alive))).every((a) => !a), 10_000, 'the programs to die with the worker');
  t.pass();
  await c.cancel(sweepId);
});

test.serial('artifacts (log, output files) are stored per sweep, survive a coordinator restart, are fetched by fairsweep artifacts and removed with --delete', async (t) => {
  await fixture.worker('--allow-command');
  const { sweepId, results } = await sweepWithId([process.execPath, PROGRAM], 'behaviour: ok', 'x: [1, 2]');
  t.true(results.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK));
  const trial = results[0]?.trialId ?? '';
  const nc = await connect({ servers: fixture.nats.url });
  try {
    const names = (await listArtifacts(nc, sweepId)).map((i) => i.name);
    t.deepEqual(names.filter((n) => n.startsWith(`${trial}/`)), [`${trial}/a1/log.txt`, `${trial}/a1/output/metrics.json`, `${trial}/a1/output/note.txt`]);
    t.is(names.length, 6);
    // The coordinator restarts: the bucket is JetStream's, not the coordinator's.
    await fixture.restartServer();
    const dir = await tempDir(t, 'cmd-artifacts');
    const fetch = spawnCli(['artifacts', sweepId, trial, '--out', dir, '--nats', fixture.nats.url]);
    t.is((await fetch.exited).code, 0, fetch.output);
    t.regex(await readFile(join(dir, trial, 'a1', 'log.txt'), 'utf8'), new RegExp(`ok ${trial} argv`));
    t.regex(await readFile(join(dir, trial, 'a1', 'output', 'note.txt'), 'utf8'), /attempt 1/);
    const del = spawnCli(['artifacts', sweepId, '--delete', '--nats', fixture.nats.url]);
    t.is((await del.exited).code, 0, del.output);
    t.deepEqual(await listArtifacts(nc, sweepId), []);
  } finally {
    await nc.close();
  }
});

test.serial('trials of one prefix group (equal but for the params in vary) run in one shard and share FAIRSWEEP_CACHE_DIR', async (t) => {
  await fixture.worker('--allow-command');
  const results = await sweep([process.execPath, PROGRAM], 'behaviour: ok, vary: [coef]', 'coef: [0.1, 0.2, 0.3], base: [1, 2]');
  t.is(results.length, 6);
  for (const base of [1, 2]) {
    const group = results.filter((r) => r.params['base']?.kind?.$case === 'number' && r.params['base'].kind.value === base);
    // Each group's trials see 0, 1, 2 files left by the trials before them; another group's cache is apart.
    t.deepEqual(group.map((r) => r.metrics['env/cache_dir_files']).sort(), [0, 1, 2], `group base=${base}`);
  }
});

test.serial('fairsweep watch shows the progress lines of running command trials; a program running past the ack deadline keeps its shard', async (t) => {
  // Two workers: a shard whose deadline lapsed would go to the idle one as attempt 2.
  await Promise.all([fixture.worker('--allow-command'), fixture.worker('--allow-command')]);
  const c = fixture.server.coordinator;
  const spec = `name: ${uniqueName('cmd-watch')}\nmethod: command\nparams: { command: ${JSON.stringify([process.execPath, PROGRAM])}, behaviour: progress, steps: 10, step_ms: 450 }\ngrid: { x: [1] }\nobjectives: [{ metric: test/accuracy, goal: max }]\n`;
  const { sweepId } = await c.submit(spec);
  const watch = spawnCli(['watch', sweepId, '--coordinator', fixture.server.grpcAddress]);
  fixture.procs.push(watch);
  await watch.waitFor(/progress \S+ attempt 1 step \d+: train\/loss=/, 30_000);
  t.is((await watch.exited).code, 0, watch.output);
  t.regex(watch.output, /ok/);
  // 4.5 s of program against a 3 s ack deadline: the worker's heartbeats kept the shard, one attempt.
  t.is(c.results(sweepId)[0]?.attempts, 1);
  t.notRegex(watch.output, /attempt 2/);
});

test.serial('fairsweep run --progress lines prints the progress lines of command trials', async (t) => {
  const dir = await tempDir(t, 'cmd-run');
  const specFile = join(dir, 'spec.yaml');
  await writeFile(specFile, `name: cmd-run\nmethod: command\nparams: { command: ${JSON.stringify([process.execPath, PROGRAM])}, behaviour: progress, steps: 6, step_ms: 300 }\ngrid: { x: [1] }\nobjectives: [{ metric: env/cache_dir_files, goal: min }]\n`);
  const run = spawnCli(['run', specFile, '--allow-command', '--workers', '1', '--out', join(dir, 'out'), '--progress', 'lines']);
  fixture.procs.push(run);
  t.is((await run.exited).code, 0, run.output);
  t.regex(run.output, /^ {2}\S+ attempt 1 step \d+: train\/loss=/m);
  // The artifacts are fetched next to the results, and the report links them.
  const rows = (await readFile(join(dir, 'out', 'results.jsonl'), 'utf8')).trim().split('\n').map((l) => parseRow(l));
  const trial = rows[0]?.trial_id ?? '';
  t.regex(await readFile(join(dir, 'out', 'artifacts', trial, 'a1', 'output', 'note.txt'), 'utf8'), /attempt 1/);
  const report = await readFile(join(dir, 'out', 'report.html'), 'utf8');
  t.true(report.includes(`"artifacts":["artifacts/${trial}/a1/log.txt"`), 'report.html links the artifacts');
});

function parseRow(line: string): { trial_id: string } {
  const v: unknown = JSON.parse(line);
  if (typeof v === 'object' && v !== null && 'trial_id' in v && typeof v.trial_id === 'string') return { trial_id: v.trial_id };
  throw new Error(`not a results row: ${line}`);
}

test.serial('cancelling a sweep sends SIGTERM to its running programs, which end', async (t) => {
  const dir = await tempDir(t, 'cmd-cancel-sweep');
  const pidFile = join(dir, 'pid');
  await fixture.worker('--allow-command');
  const c = fixture.server.coordinator;
  const spec = `name: ${uniqueName('cmd-cancel')}\nmethod: command\nparams: { command: ${JSON.stringify([process.execPath, PROGRAM])}, behaviour: sleep, pid_file: ${JSON.stringify(pidFile)}, grace_s: 5 }\ngrid: { x: [1] }\nobjectives: [{ metric: test/accuracy, goal: max }]\n`;
  const { sweepId } = await c.submit(spec);
  const pid = Number(await eventually(() => readFile(pidFile, 'utf8').catch(() => undefined), 30_000, 'the program to start'));
  await c.cancel(sweepId);
  await eventually(() => readFile(`${pidFile}.term`, 'utf8').catch(() => undefined), 10_000, 'SIGTERM to reach the program');
  await eventually(async () => !(await alive(pid)), 10_000, 'the program to end');
  t.pass();
});

test.serial('a sweep\'s artifacts stay within its artifacts_mb: a file the bucket has no room for is left out, and the trial still succeeds', async (t) => {
  await fixture.worker('--allow-command', '--max-trial-artifact-mb', '8');
  const { sweepId, results } = await sweepWithId([process.execPath, PROGRAM], 'behaviour: ok, big_bytes: 3000000, artifacts_mb: 1', 'x: [1]');
  t.is(results[0]?.status, TrialStatus.TRIAL_STATUS_OK, results[0]?.error);
  const nc = await connect({ servers: fixture.nats.url });
  try {
    const names = (await listArtifacts(nc, sweepId)).map((i) => i.name.split('/').slice(1).join('/'));
    t.deepEqual(names, ['a1/log.txt', 'a1/output/metrics.json', 'a1/output/note.txt']);
  } finally {
    await nc.close();
  }
});

test.serial('fairsweep run passes --allow-command and --allow-executable to its workers: refused without the first, and for a program not on the list', async (t) => {
  const dir = await tempDir(t, 'cmd-run-policy');
  const specFile = join(dir, 'spec.yaml');
  await writeFile(specFile, `name: cmd-policy\nmethod: command\nparams: { command: ${JSON.stringify([process.execPath, PROGRAM])}, behaviour: ok }\ngrid: { x: [1] }\nobjectives: [{ metric: env/cache_dir_files, goal: min }]\n`);
  const cases: [string[], RegExp][] = [
    [[], /refuses command trials/],
    [['--allow-command', '--allow-executable', '/bin/true'], /refuses to run .*--allow-executable/],
  ];
  for (const [flags, refusal] of cases) {
    const out = join(dir, `out-${flags.length}`);
    const run = spawnCli(['run', specFile, ...flags, '--workers', '1', '--out', out, '--quiet']);
    fixture.procs.push(run);
    t.not((await run.exited).code, 0, run.output);
    t.regex(await readFile(join(out, 'results.jsonl'), 'utf8'), refusal);
  }
  const allowed = spawnCli(['run', specFile, '--allow-command', '--allow-executable', process.execPath, '--workers', '1', '--out', join(dir, 'out-ok'), '--quiet']);
  fixture.procs.push(allowed);
  t.is((await allowed.exited).code, 0, allowed.output);
});

test.serial('a sweep\'s artifacts_mb reserves nothing: on a 10 MB store, three sweeps of 8 MB each are accepted', async (t) => {
  const small = await NatsServer.start({ jetstream: 'max_file_store: 10MB' });
  const coord = await CoordinatorServer.start({ nats: { servers: small.url }, grpc: '127.0.0.1:0', metrics: null });
  try {
    for (let i = 0; i < 3; i++) {
      const spec = `name: ${uniqueName('cmd-cap')}\nmethod: command\nparams: { command: [\"true\"], artifacts_mb: 8 }\ngrid: { x: [1] }\nobjectives: [{ metric: m, goal: max }]\n`;
      const { sweepId } = await coord.coordinator.submit(spec);
      t.truthy(sweepId);
    }
  } finally {
    await coord.close();
    await small.stop();
  }
});

test('the cap of an artifacts bucket travels in its description', (t) => {
  t.is(artifactsCapOf(artifactsBucketDescription('s1', 1048576)), 1048576);
  t.is(artifactsCapOf('some other bucket'), undefined);
});
