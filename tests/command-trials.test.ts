import test from 'ava';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { parseSpecText } from '../coordinator/index.js';
import { join } from 'node:path';
import { loadDataset } from '../worker/datasets/index.js';
import { environmentAccuracies, splitMetrics } from '../worker/training/evaluate.js';
import { commandImpl } from '../worker/methods/command/command-method.js';
import { compileCommandOptions, type CommandOptions } from '../worker/methods/command/command-options.js';
import { GpuPool } from '../worker/methods/command/gpu-pool.js';
import { compileWorkerOptions } from '../worker/runtime/worker-options.js';
import type { CommandHost, TrialRef } from '../worker/methods/command/host-types.js';
import type { TrialOutput } from '../worker/methods/types.js';
import { TrialCancelledError, type Backend } from '../worker/index.js';
import { isUnrecoverable } from '../worker/errors.js';
import type { Params } from '../proto/index.js';
import { repoPath } from './helpers/repo-files.js';
import { tempDir } from './helpers/temp-dir.js';
import { eventually } from './helpers/cluster.js';

const PROGRAM = repoPath('tests', 'helpers', 'command-program.mjs');

/** A worker's command host, minus NATS: progress lines are collected. */
function host(workDir: string, options: CommandOptions = {}): CommandHost & { lines: { trial: TrialRef; step: number; metrics: Record<string, number> }[] } {
  const compiled = compileCommandOptions({ allow: true, workDir, ...options });
  const lines: { trial: TrialRef; step: number; metrics: Record<string, number> }[] = [];
  return {
    options: compiled,
    gpus: new GpuPool(compiled.gpus),
    workDir: () => Promise.resolve(workDir),
    progress: (trial, step, metrics) => lines.push({ trial, step, metrics }),
    artifacts: undefined,
    lines,
  };
}

let trialCounter = 0;
function runTrial(h: CommandHost, params: Params, signal = new AbortController().signal, attempt = 1): Promise<TrialOutput> {
  const n = trialCounter++;
  return commandImpl.run(
    { trialId: `t${n}`, sweepId: 'sweep-x', params: { command: [process.execPath, PROGRAM], ...params }, seed: 0, dataset: { name: '', options: {} }, attempt },
    { signal, heartbeat: () => undefined, backend: () => Promise.reject<Backend>(new Error('command trials load no backend')), command: h },
  );
}

const isAlive = async (pid: number): Promise<boolean> => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
};

test('metrics from predictions.csv are the built-in methods\' metrics of the same predictions, to the last bit; metrics.json is merged', async (t) => {
  const dir = await tempDir(t, 'cmd-eq');
  const data = loadDataset('spurious', { n: 600, d: 2, env_p_maj: [0.9, 0.7], test_p_maj: 0.1 }, 3);
  // Scores as a built-in model gives them (Float32Array of P(y = 1)), from the features.
  const scores = (x: Float32Array, n: number, dim: number): Float32Array => {
    const p = new Float32Array(n);
    for (let i = 0; i < n; i++) p[i] = 1 / (1 + Math.exp(-(x[i * dim]! * 1.3 + x[i * dim + 1]! * 0.7 - 0.1)));
    return p;
  };
  const expected: Record<string, number> = {};
  const expectedGroups: TrialOutput['groupMetrics'] = [];
  const lines = ['split,y_true,y_score,group,environment'];
  for (const [name, original] of [['train', data.train], ['val', data.val], ['test', data.test]] as const) {
    // Worst-group accuracy's groups named as the csv dataset names them: y=<label>,<attribute>.
    const split = { ...original, group: original.attribute.map((a, i) => `y=${original.y[i]},${a}`) };
    const p = scores(split.x, split.n, data.dim);
    const s = splitMetrics(name, split, p);
    Object.assign(expected, s.metrics);
    expectedGroups.push(...s.groups);
    if (name === 'train') Object.assign(expected, environmentAccuracies(data.environments, p));
    let env = 0, left = data.environments[0]?.n ?? split.n;
    for (let i = 0; i < split.n; i++) {
      while (name === 'train' && left === 0) left = data.environments[++env]?.n ?? Infinity;
      left--;
      lines.push(`${name},${split.y[i]},${p[i]},${split.attribute[i]},${name === 'train' ? env : 0}`);
    }
  }
  const csv = join(dir, 'p.csv');
  await writeFile(csv, lines.join('\n') + '\n');
  const out = await runTrial(host(dir), { predictions_from: csv, metrics: JSON.stringify({ 'custom/score': 0.25 }) });
  const { 'custom/score': custom, 'env/cache_dir_files': _files, 'env/worker_variables': _vars, ...computed } = out.metrics;
  t.is(custom, 0.25, 'metrics.json merged');
  t.deepEqual(computed, expected);
  t.true(Object.keys(expected).includes('test/ece') && Object.keys(expected).includes('train/env1/accuracy'));
  const key = (g: { split: string; group: string }): string => `${g.split}|${g.group}`;
  t.deepEqual([...out.groupMetrics].sort((a, b) => key(a).localeCompare(key(b))), [...expectedGroups].sort((a, b) => key(a).localeCompare(key(b))));
});

test('y_pred, when given, is the predicted class instead of y_score >= 0.5', async (t) => {
  const dir = await tempDir(t, 'cmd-ypred');
  const csv = join(dir, 'p.csv');
  await writeFile(csv, 'split,y_true,y_score,y_pred,group\ntest,1,0.9,0,a\ntest,0,0.2,0,b\ntest,1,0.6,1,b\ntest,0,0.4,1,a\n');
  const out = await runTrial(host(dir), { predictions_from: csv });
  t.is(out.metrics['test/accuracy'], 0.5);
});

test('a malformed predictions file fails the trial naming file, line and column', async (t) => {
  const dir = await tempDir(t, 'cmd-bad');
  const cases: [string, RegExp][] = [
    ['split,y_true,group\ntest,1,a\n', /predictions\.csv line 1: missing column "y_score"/],
    ['split,y_true,y_score,group\ntest,1,0.9,a\ntest,0,high,b\n', /predictions\.csv line 3, column y_score: expected a probability in \[0, 1\], got "high"/],
    ['split,y_true,y_score,group\ntest,1,0.9,a\ntest,0,0.1,\n', /predictions\.csv line 3, column group: empty group/],
    ['split,y_true,y_score,group\ntest,2,0.9,a\n', /predictions\.csv line 2, column y_true: expected 0 or 1, got "2"/],
    ['split,y_true,y_score,group\n', /predictions\.csv: no data rows/],
  ];
  for (const [text, message] of cases) {
    const csv = join(dir, `bad-${trialCounter}.csv`);
    await writeFile(csv, text);
    const err = await t.throwsAsync(runTrial(host(dir), { predictions_from: csv }));
    t.regex(err?.message ?? '', message);
    t.true(isUnrecoverable(err), 'a bad file is not retried');
  }
});

test('metrics.json naming a computed metric is an error; so is a non-number', async (t) => {
  const dir = await tempDir(t, 'cmd-clash');
  const csv = join(dir, 'p.csv');
  await writeFile(csv, 'split,y_true,y_score,group\ntest,1,0.9,a\ntest,0,0.2,b\n');
  await t.throwsAsync(runTrial(host(dir), { predictions_from: csv, metrics: '{"test/accuracy": 1}' }), { message: /metrics\.json: "test\/accuracy" is a metric fairsweep computes/ });
  await t.throwsAsync(runTrial(host(dir), { metrics: '{"loss": "low"}' }), { message: /metrics\.json: metric "loss" must be a finite number/ });
});

test('a non-zero exit fails the attempt with the tail of stderr; a crash names its signal; neither is unrecoverable', async (t) => {
  const dir = await tempDir(t, 'cmd-exit');
  const err = await t.throwsAsync(runTrial(host(dir), { behaviour: 'exit', code: 7, stderr: 'x'.repeat(5000) + '\nCUDA out of memory\n' }));
  t.regex(err?.message ?? '', /exited with code 7; stderr ends with:\n.*CUDA out of memory$/s);
  t.true((err?.message.length ?? 0) < 2300, 'only the tail');
  t.false(isUnrecoverable(err));
  await t.throwsAsync(runTrial(host(dir), { behaviour: 'crash' }), { message: /killed by SIGKILL/ });
  await t.throwsAsync(runTrial(host(dir), { command: [join(dir, 'no-such-program')] }), { message: /could not be started: .*ENOENT/ });
  await t.throwsAsync(runTrial(host(dir), { cwd: join(dir, 'no-such-dir') }), { message: /cwd: .*no-such-dir is not a directory/ });
});

test('cancel sends SIGTERM to the program, then SIGKILL after grace_s; timeout_s fails the attempt', async (t) => {
  const dir = await tempDir(t, 'cmd-cancel');
  const h = host(dir);
  for (const ignoreTerm of [false, true]) {
    const pidFile = join(dir, `pid-${ignoreTerm}`);
    const ac = new AbortController();
    const started = Date.now();
    const running = runTrial(h, { behaviour: 'sleep', pid_file: pidFile, ignore_term: ignoreTerm, grace_s: 1 }, ac.signal);
    const pid = Number(await eventually(() => readFile(pidFile, 'utf8').catch(() => undefined), 20_000, 'the program to start'));
    ac.abort('cancelled');
    await t.throwsAsync(running, { instanceOf: TrialCancelledError });
    t.false(await isAlive(pid), 'the program is gone');
    const termed = await readFile(`${pidFile}.term`, 'utf8').then(() => true, () => false);
    t.is(termed, !ignoreTerm, 'SIGTERM first');
    if (ignoreTerm) t.true(Date.now() - started >= 1000, 'SIGKILL only after the grace period');
  }
  const pidFile = join(dir, 'pid-timeout');
  await t.throwsAsync(runTrial(h, { behaviour: 'sleep', pid_file: pidFile, timeout_s: 1, grace_s: 1 }), { message: /timed out after timeout_s 1/ });
});

test('without allow, or with an executable not on the list, the trial is refused and not retried', async (t) => {
  const dir = await tempDir(t, 'cmd-refuse');
  const refused = await t.throwsAsync(runTrial(host(dir, { allow: false }), {}));
  t.regex(refused?.message ?? '', /refuses command trials.*--allow-command/);
  t.true(isUnrecoverable(refused));
  await t.throwsAsync(runTrial(host(dir, { allowExecutables: ['/bin/true'] }), {}), { message: /refuses to run .*not one of its --allow-executable programs/ });
  const out = await runTrial(host(dir, { allowExecutables: [process.execPath] }), {});
  t.is(out.metrics['env/cache_dir_files'], 0);
});

test('params become --name value flags with args: flags; progress lines are forwarded', async (t) => {
  const dir = await tempDir(t, 'cmd-flags');
  const h = host(dir);
  const example = repoPath('examples', 'byo', 'train.mjs');
  const out = await runTrial(h, { command: [process.execPath, example], args: 'flags', steps: 100, lr: 0.1 });
  t.true((out.metrics['test/accuracy'] ?? NaN) > 0);
  // The latest line of each poll is forwarded: the last, step 100, always.
  t.is(h.lines.at(-1)?.step, 100);
  t.true(h.lines.every((l) => l.step === 50 || l.step === 100));
  t.true(h.lines.every((l) => typeof l.metrics['train/loss'] === 'number' && l.trial.sweepId === 'sweep-x'));
});

test('each concurrent trial is pinned to a GPU of its own through CUDA_VISIBLE_DEVICES, HIP_ and ROCR_', async (t) => {
  const dir = await tempDir(t, 'cmd-gpu');
  const h = host(dir, { gpus: [2, 5] });
  const outs = await Promise.all([runTrial(h, {}), runTrial(h, {})]);
  t.deepEqual(outs.map((o) => o.gpu).sort(), [2, 5]);
  for (const o of outs) {
    t.is(o.metrics['env/cuda_visible_devices'], o.gpu);
    t.is(o.metrics['env/hip_visible_devices'], o.gpu);
    t.is(o.metrics['env/rocr_visible_devices'], o.gpu);
  }
});

test('command options are checked at start: each bad one named', (t) => {
  t.throws(() => compileCommandOptions({ gpus: [0, 0] }), { message: /command\.gpus: a GPU is listed twice/ });
  t.throws(() => compileCommandOptions({ gpus: [-1] }), { message: /command\.gpus\.0: expected an integer/ });
  t.throws(() => compileCommandOptions({ slotsPerGpu: 0 }), { message: /command\.slotsPerGpu/ });
  t.throws(() => compileCommandOptions({ allowExecutables: [''] }), { message: /command\.allowExecutables\.0/ });
  t.deepEqual(compileCommandOptions({}).allow, false, 'refused unless allowed');
  t.is(compileWorkerOptions({ nats: { servers: 'nats://x' }, command: { gpus: [0, 1], slotsPerGpu: 3 } }).slots, 6, 'slots default to GPUs × slots per GPU');
});

test('the example specs of examples/byo are valid command sweeps', async (t) => {
  const files = (await readdir(repoPath('examples', 'byo'))).filter((f) => f.endsWith('.yaml'));
  t.true(files.length >= 4, files.join(', '));
  for (const f of files) {
    const spec = parseSpecText(await readFile(repoPath('examples', 'byo', f), 'utf8'));
    t.is(spec.method, 'command', f);
    t.true(spec.trials > 0, f);
  }
});

test('the program gets none of the worker\'s FAIRSWEEP_ variables (its NATS credentials), only its own', async (t) => {
  const dir = await tempDir(t, 'cmd-env');
  process.env['FAIRSWEEP_NATS_PASSWORD'] = 'worker-secret';
  try {
    const out = await runTrial(host(dir), { env: ['EXTRA=1'] });
    t.is(out.metrics['env/worker_variables'], 0);
  } finally {
    delete process.env['FAIRSWEEP_NATS_PASSWORD'];
  }
});

test('a program reporting every step sends at most one progress event per poll, the latest', async (t) => {
  const dir = await tempDir(t, 'cmd-progress');
  const h = host(dir);
  const example = repoPath('examples', 'byo', 'train.mjs');
  // train.mjs reports every 50 steps: 2,000 steps are 40 lines, written within one or two polls.
  await runTrial(h, { command: [process.execPath, example], steps: 2000 });
  t.is(h.lines.at(-1)?.step, 2000);
  t.true(h.lines.length < 40, `${h.lines.length} events for 40 lines`);
});

test('artifacts: the log and the output files go to the sink, smallest first, within the per-trial cap', async (t) => {
  const dir = await tempDir(t, 'cmd-artifacts');
  const stored: { trial: TrialRef; names: string[] }[] = [];
  const h: CommandHost = {
    ...host(dir, { maxTrialArtifactBytes: 10_000 }),
    artifacts: { store: (trial, files) => Promise.resolve(stored.push({ trial, names: files.map((f) => f.name) })).then(() => files.map((f) => f.name)) },
  };
  await runTrial(h, { big_bytes: 20_000 });
  t.is(stored.length, 1);
  t.deepEqual([...(stored[0]?.names ?? [])].sort(), ['log.txt', 'output/metrics.json', 'output/note.txt'], 'big.bin is over the cap');
  await runTrial(h, { big_bytes: 5_000 });
  t.true(stored[1]?.names.includes('output/big.bin'));
  // A failed attempt's log is stored too.
  await t.throwsAsync(runTrial(h, { behaviour: 'exit', code: 2, stderr: 'boom' }));
  t.deepEqual(stored[2]?.names, ['log.txt']);
});
