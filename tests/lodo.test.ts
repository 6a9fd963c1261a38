import test from 'ava';
import { loadBackend } from '../worker/backend.js';
import { loadDataset } from '../worker/datasets/index.js';
import { foldDataset, foldMetrics, wantsFolds, withLeaveOneDomainOut } from '../worker/methods/lodo.js';
import { loadMethod } from '../worker/index.js';
import { TrialFailedError } from '../worker/errors.js';
import { SPLIT_METRICS } from '../worker/training/evaluate.js';
import type { MethodImpl, TrialInput, TrialOutput, TrialRuntime } from '../worker/methods/types.js';
import { configurationFrontier, SELECTION_SPLIT, type TrialLike } from '../coordinator/configurations/index.js';
import { parseSpecText } from '../coordinator/index.js';
import { selectionIssue } from '../coordinator/spec/selection-check.js';
import { LEAVE_ONE_DOMAIN_OUT, LODO_METRIC_PREFIX, toParamMap, type Params } from '../proto/index.js';
import { getMethod, methodNames } from '../catalog/index.js';
import { spawnCli } from './helpers/cluster.js';
import { REPO_ROOT } from './helpers/repo-files.js';
import { join } from 'node:path';
import { executeTrial } from '../worker/runtime/trial-execution.js';
import { executePack } from '../worker/runtime/shard-packs.js';

const runtime = (): TrialRuntime => ({ signal: new AbortController().signal, heartbeat: () => undefined, backend: () => loadBackend() });

const THREE = { n: 300, d: 2, env_p_maj: [0.95, 0.85, 0.7] };

test('fold construction: each fold trains on the other environments and is tested on the held-out one', (t) => {
  const data = loadDataset('spurious', THREE, 3);
  t.is(data.environments.length, 3);
  for (let e = 0; e < 3; e++) {
    const f = foldDataset(data, e);
    const others = data.environments.filter((_, i) => i !== e);
    t.is(f.environments.length, 2);
    t.true(f.environments.every((s, i) => s === others[i]), `fold ${e} trains on the other environments, in order`);
    t.true(f.test === data.environments[e], `fold ${e} is tested on environment ${e}`);
    t.is(f.train.n, others.reduce((s, o) => s + o.n, 0));
    t.deepEqual([...f.train.y], others.flatMap((o) => [...o.y]), 'train pools exactly the other environments');
    t.is(f.trainval, undefined, 'trainval (drawn from every environment) is dropped');
    t.is(f.val, data.val);
  }
  t.throws(() => foldDataset(data, 3), { instanceOf: TrialFailedError, message: /no training environment 3 to hold out .* 0\.\.2/ });
  const two = loadDataset('spurious', { n: 200, d: 2 }, 3);
  t.throws(() => foldDataset(two, 0), { instanceOf: TrialFailedError, message: /has 2 training environment\(s\); at least 3/ });
});

test('fold metrics: lodo/<metric> is the mean over held-out environments (undefined folds left out), lodo/env<e>/accuracy each fold', (t) => {
  const fold = (acc: number, dp: number): TrialOutput => ({ metrics: { 'test/accuracy': acc, 'test/demographic_parity_difference': dp, 'train/accuracy': 1 }, groupMetrics: [] });
  const m = foldMetrics([fold(0.6, 0.1), fold(0.9, Number.NaN), fold(0.75, 0.3)]);
  t.is(m['lodo/accuracy'], 0.75);
  t.is(m['lodo/demographic_parity_difference'], 0.2);
  t.deepEqual([m['lodo/env0/accuracy'], m['lodo/env1/accuracy'], m['lodo/env2/accuracy']], [0.6, 0.9, 0.75]);
  t.true(Number.isNaN(m['lodo/ece']), 'a metric no fold reports is NaN, not 0');
  t.deepEqual(Object.keys(m).filter((k) => !k.includes('/env')).sort(), SPLIT_METRICS.map((s) => `lodo/${s}`).sort());
  t.is(LODO_METRIC_PREFIX, SELECTION_SPLIT['leave-one-domain-out'], 'the worker reports under the prefix the coordinator ranks on');
});

test.serial('erm under leave-one-domain-out trains once per held-out environment and reports the folds beside its own metrics', async (t) => {
  const impl = await loadMethod('erm');
  if (!impl) return t.fail('no erm');
  const { tf } = await loadBackend();
  const input: TrialInput = { trialId: 't', sweepId: 's', params: { steps: 40, hidden: [4], lr: 0.05 }, seed: 1, dataset: { name: 'spurious', options: THREE }, attempt: 1 };
  const plain = await impl.run(input, runtime());
  t.false(Object.keys(plain.metrics).some((k) => k.startsWith('lodo/')), 'no folds without the selection');
  const before = tf.memory().numTensors;
  const lodo = await impl.run({ ...input, selection: LEAVE_ONE_DOMAIN_OUT }, runtime());
  t.is(tf.memory().numTensors, before, 'every fold model is disposed');
  t.true(wantsFolds({ ...input, selection: LEAVE_ONE_DOMAIN_OUT }));
  // The full run is the same as without folds.
  for (const k of Object.keys(plain.metrics)) t.is(lodo.metrics[k], plain.metrics[k], k);
  const envs: number[] = [];
  for (let e = 0; e < 3; e++) {
    const fold = await impl.run({ ...input, heldOutEnvironment: e }, runtime());
    t.is(lodo.metrics[`lodo/env${e}/accuracy`], fold.metrics['test/accuracy'], `fold ${e}: the model trained without environment ${e}, scored on it`);
    envs.push(fold.metrics['test/accuracy'] ?? Number.NaN);
  }
  t.true(Math.abs((lodo.metrics['lodo/accuracy'] ?? Number.NaN) - (envs[0]! + envs[1]! + envs[2]!) / 3) < 1e-12);
  t.not(lodo.metrics['lodo/accuracy'], lodo.metrics['test/accuracy']);
  t.log('lodo/env accuracies', envs.map((v) => v.toFixed(3)).join(' '), 'test', lodo.metrics['test/accuracy']?.toFixed(3));
});

test.serial('every method that claims leave-one-domain-out in the catalog reports lodo/ metrics (steer and reprogram too)', async (t) => {
  const claiming = methodNames().filter((m) => getMethod(m)?.leaveOneDomainOut);
  t.true(claiming.includes('steer') && claiming.includes('reprogram') && claiming.includes('erm'), claiming.join(', '));
  for (const name of claiming) {
    const impl = await loadMethod(name);
    const params: Params = name === 'reprogram' ? { steps: 10, trigger_steps: 5, hidden: [4] } : { steps: 10, hidden: [4] };
    const out = await impl?.run({ trialId: 't', sweepId: 's', params, seed: 0, dataset: { name: 'spurious', options: THREE }, attempt: 1, selection: LEAVE_ONE_DOMAIN_OUT }, runtime());
    t.true(Number.isFinite(out?.metrics['lodo/accuracy']), `${name} reports lodo/accuracy`);
    t.true(Number.isFinite(out?.metrics['lodo/env2/accuracy']), `${name} reports the third fold`);
  }
});

test('spec check: leave-one-domain-out accepted with 3 training environments, refused with 2 or for a method that cannot hold one out', (t) => {
  const spec = (envs: string, method = 'irm'): string => `
name: lodo-spec
method: ${method}
dataset: { name: spurious, n: 400${envs} }
selection: leave-one-domain-out
objectives: [{ metric: test/accuracy, goal: max }]
`;
  const ok = parseSpecText(spec(', env_p_maj: [0.9, 0.8, 0.7]'));
  t.is(ok.selection, 'leave-one-domain-out');
  t.deepEqual(ok.warnings, []);
  t.throws(() => parseSpecText(spec('')), { message: /selection: leave-one-domain-out needs at least 3 training environments .* dataset "spurious" has 2/ });
  const cm = parseSpecText(`name: c\nmethod: erm\ndataset: { name: colored-mnist, train_envs: [0.1, 0.2, 0.3] }\nselection: leave-one-domain-out\nobjectives: [{ metric: test/accuracy, goal: max }]\n`);
  t.is(cm.selection, 'leave-one-domain-out');
  const dataset = { name: 'spurious', options: { env_p_maj: [0.9, 0.8, 0.7] } };
  t.regex(selectionIssue('leave-one-domain-out', { name: 'task-arithmetic' }, dataset) ?? '', /method "task-arithmetic" does not train per held-out environment/);
  t.is(selectionIssue('training-domain', { name: 'task-arithmetic' }, undefined), null);
  t.regex(selectionIssue('leave-one-domain-out', { name: 'erm', leaveOneDomainOut: true }, { name: 'csv', options: {} }) ?? '', /dataset "csv" does not say how many/);
});

test('a constructed case where leave-one-domain-out and the oracle choose different configurations; test is reported beside lodo', (t) => {
  // Configuration A holds up on held-out training environments but is worse on the test environment; B the reverse.
  const trial = (cfg: string, seed: number, lodo: number, test: number): TrialLike => ({ trial_id: `${cfg}${seed}`, params: { cfg }, seed, status: 'ok', metrics: { 'lodo/accuracy': lodo, 'test/accuracy': test } });
  const trials = [trial('A', 0, 0.8, 0.6), trial('A', 1, 0.82, 0.62), trial('B', 0, 0.7, 0.7), trial('B', 1, 0.72, 0.74)];
  const objectives = [{ metric: 'test/accuracy', goal: 'max' as const }];
  const lodo = configurationFrontier(trials, objectives, { selection: 'leave-one-domain-out' });
  t.is(lodo.objectives[0]?.selection_metric, 'lodo/accuracy');
  t.deepEqual(lodo.frontier.map((r) => r.params.cfg), ['A']);
  t.is(lodo.frontier[0]?.stats['test/accuracy']?.mean, 0.61, 'the chosen configuration\'s test accuracy is reported beside');
  const oracle = configurationFrontier(trials, objectives, { selection: 'oracle' });
  t.deepEqual(oracle.frontier.map((r) => r.params.cfg), ['B']);
});

test('a shard asking leave-one-domain-out of a method that cannot hold an environment out fails its trial saying so', async (t) => {
  const trial = { id: 't0', sweepId: 's', index: 0, params: toParamMap({ duration_ms: 0 }), seed: 0 };
  const shard = { id: 's-s0', sweepId: 's', method: 'sleep', dataset: undefined, trials: [trial], maxAttempts: 1, pack: 0, selection: LEAVE_ONE_DOMAIN_OUT };
  await t.throwsAsync(executeTrial(shard, trial, 1, runtime()), { instanceOf: TrialFailedError, message: /selection leave-one-domain-out: method "sleep" does not train per held-out environment/ });
  const out = await executeTrial({ ...shard, selection: '' }, trial, 1, runtime());
  t.true(Number.isFinite(out.metrics.score), 'without the selection the same trial runs');
});

test('validate says what leave-one-domain-out costs: each trial trains E + 1 models', async (t) => {
  const spec = join(REPO_ROOT, 'examples', 'irm-spurious-lodo.yaml');
  const json = spawnCli(['validate', spec, '--json']);
  t.is((await json.exited).code, 0, json.output);
  const info = JSON.parse(json.output) as { selection: string; trainings_per_trial: number };
  t.is(info.selection, 'leave-one-domain-out');
  t.is(info.trainings_per_trial, 4);
  const text = spawnCli(['validate', spec]);
  await text.exited;
  t.regex(text.output, /leave-one-domain-out: each trial trains 4 models .* about 4x the time/);
  const plain = spawnCli(['validate', join(REPO_ROOT, 'examples', 'irm-spurious.yaml'), '--json']);
  await plain.exited;
  t.is((JSON.parse(plain.output) as { trainings_per_trial: number }).trainings_per_trial, 1);
});

test.serial('a packed run keeps its packing and adds the folds of each trial that asks for them', async (t) => {
  const { ermImpl } = await import('../worker/methods/mlp-method.js');
  // A method that packs (erm unwrapped, its pack here each trial in turn); the wrapper keeps runPack and adds folds.
  const packing: MethodImpl = { run: (i, rt) => ermImpl.run(i, rt), runPack: (inputs, rt) => Promise.all(inputs.map(async (i) => ({ ok: true as const, output: await ermImpl.run(i, rt) }))) };
  const wrapped = withLeaveOneDomainOut(packing);
  const input: TrialInput = { trialId: 't', sweepId: 's', params: { steps: 10, hidden: [4] }, seed: 2, dataset: { name: 'spurious', options: THREE }, attempt: 1 };
  const outcomes = await wrapped.runPack?.([{ ...input, selection: LEAVE_ONE_DOMAIN_OUT }, input, { ...input, selection: LEAVE_ONE_DOMAIN_OUT, dataset: { name: 'spurious', options: { n: 100 } } }], runtime());
  const [lodo, plain, two] = outcomes ?? [];
  t.true(lodo?.ok && Number.isFinite(lodo.output.metrics['lodo/accuracy']));
  t.true(plain?.ok && !Object.keys(plain.output.metrics).some((k) => k.startsWith('lodo/')));
  t.false(two?.ok, 'a trial whose folds cannot run fails alone');
  t.regex(String(two && !two.ok ? two.error : ''), /has 2 training environment\(s\); at least 3/);
  const single = await wrapped.run({ ...input, selection: LEAVE_ONE_DOMAIN_OUT }, runtime());
  if (lodo?.ok) t.is(single.metrics['lodo/accuracy'], lodo.output.metrics['lodo/accuracy'], 'packed and single runs report the same folds');
});

test.serial('a packed shard under leave-one-domain-out: each trial of the pack reports its folds', async (t) => {
  const trials = [0.01, 0.05].map((lr, i) => ({ id: `t${i}`, sweepId: 's', index: i, params: toParamMap({ steps: 10, hidden: [4], lr }), seed: 1 }));
  const shard = { id: 's-s0', sweepId: 's', method: 'erm', dataset: { name: 'spurious', options: toParamMap(THREE) }, trials, maxAttempts: 1, pack: 2, selection: LEAVE_ONE_DOMAIN_OUT };
  const outcomes = await executePack(shard, trials, 1, runtime());
  t.is(outcomes.length, 2);
  for (const o of outcomes) t.true(o.ok && Number.isFinite(o.output.metrics['lodo/accuracy']) && Number.isFinite(o.output.metrics['lodo/env2/accuracy']));
  const plain = await executePack({ ...shard, selection: '' }, trials, 1, runtime());
  t.true(plain.every((o) => o.ok && !('lodo/accuracy' in o.output.metrics)));
});

test.serial('folds report no progress: early stopping sees only the full run\'s steps', async (t) => {
  const impl = await loadMethod('erm');
  const input: TrialInput = { trialId: 't', sweepId: 's', params: { steps: 20, hidden: [4], eval_every: 5 }, seed: 0, dataset: { name: 'spurious', options: THREE }, attempt: 1 };
  const steps = async (selection?: string): Promise<number[]> => {
    const seen: number[] = [];
    await impl?.run({ ...input, ...(selection ? { selection } : {}) }, { ...runtime(), progress: (step) => seen.push(step) });
    return seen;
  };
  const plain = await steps();
  t.true(plain.length > 0, 'the full run reports progress');
  t.deepEqual(await steps(LEAVE_ONE_DOMAIN_OUT), plain);
});
