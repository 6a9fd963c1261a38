import test from 'ava';
import { parseSpecText, planSweep, replanShards, defaultShardSize, SpecError, DEFAULT_PACK_SHARD_SIZE } from '../coordinator/index.js';
import { getMethod, mlpTrainingMemory, datasetShape, type MemoryEstimate } from '../catalog/index.js';
import { PACK_AUTO, PACK_OFF, packNumber, packSetting, packText, type Params } from '../proto/index.js';
import { MAX_AUTO_PACK, packRuns, packSize } from '../worker/runtime/pack-plan.js';

// Packing decisions: the spec's `pack` on the wire, the worker's pack size per backend and limits,
// the grouping of a shard's trials into packs, the catalog's pack keys and the coordinator's shards.

const spec = (extra: string, grid = 'grid: { lr: [0.01, 0.02, 0.03], penalty_weight: [1, 10, 100] }', method = 'irm'): string => `
name: pack-plan
method: ${method}
dataset: { name: spurious, n: 200 }
params: { steps: 20 }
${grid}
seeds: [0, 1]
${extra}
objectives: [{ metric: test/accuracy, goal: max }]
`;

test('pack on the wire: auto 0, off 1, K; pack: 1 is off; bad values name the key', (t) => {
  t.is(packNumber('auto'), PACK_AUTO);
  t.is(packNumber('off'), PACK_OFF);
  t.is(packNumber(4), 4);
  t.deepEqual(packSetting(PACK_AUTO), { mode: 'auto' });
  t.deepEqual(packSetting(PACK_OFF), { mode: 'off' });
  t.deepEqual(packSetting(4), { mode: 'max', k: 4 });
  t.is(packText(packNumber(16)), '16');
  t.is(parseSpecText(spec('')).pack, PACK_AUTO, 'default auto');
  t.is(parseSpecText(spec('pack: off')).pack, PACK_OFF);
  t.is(parseSpecText(spec('pack: 4')).pack, 4);
  for (const bad of ['pack: 0', 'pack: fast', 'pack: 2.5', 'pack: 100000']) {
    const err = t.throws(() => parseSpecText(spec(bad)), { instanceOf: SpecError });
    t.regex(err?.message ?? '', /^pack: /, bad);
  }
});

const estimate = (hidden: number[], n = 10_000): MemoryEstimate => {
  const shape = datasetShape('spurious', { n });
  if (!shape) throw new Error('no shape');
  return mlpTrainingMemory(shape, hidden);
};

test('pack size: off never packs, K packs on any backend, auto only on a GPU backend', (t) => {
  for (const backend of ['cpu', 'wasm', 'tensorflow', 'webgpu', 'tensorflow-gpu']) {
    t.is(packSize({ mode: 'off' }, { backend }), 1, backend);
    t.is(packSize({ mode: 'max', k: 4 }, { backend }), 4, backend);
  }
  for (const backend of ['cpu', 'wasm', 'tensorflow']) t.is(packSize({ mode: 'auto' }, { backend }, estimate([64])), 1, `auto on ${backend}`);
  t.is(packSize({ mode: 'auto' }, { backend: 'webgpu' }), MAX_AUTO_PACK, 'nothing known: the cap');
  t.is(packSize({ mode: 'auto' }, { backend: 'tensorflow-gpu' }, estimate([64])), MAX_AUTO_PACK, 'small trials, no limits: the cap');
});

const datasetShapeTrain = (n: number): number => datasetShape('spurious', { n })?.train ?? NaN;

test('pack size: auto (and K) take the most trials that fit memory beside one copy of the data, and the binding limit', (t) => {
  const e = estimate([390, 390], 50_000);
  const perTrial = e.modelBytes + e.activationBytes;
  const memoryBytes = e.dataBytes + 5.5 * perTrial;
  t.is(packSize({ mode: 'auto' }, { backend: 'webgpu', memoryBytes }, e), 5, 'five trials fit, a sixth does not');
  t.is(packSize({ mode: 'auto' }, { backend: 'webgpu', memoryBytes: e.dataBytes + perTrial / 2 }, e), 1, 'not even one: one at a time (the memory guard decides)');
  // One trial's widest activations: rows × (390 + 390 + 1) float32.
  const widest = e.activationBytes / 6;
  t.is(widest, 4 * datasetShapeTrain(50_000) * 781);
  t.is(packSize({ mode: 'auto' }, { backend: 'webgpu', maxStorageBufferBindingSize: 3 * widest + 1 }, e), 3);
  t.is(packSize({ mode: 'auto' }, { backend: 'webgpu', memoryBytes, maxStorageBufferBindingSize: 2 * 1024 ** 3 }, e), 5, 'the tighter limit wins');
  t.is(packSize({ mode: 'max', k: 8 }, { backend: 'wasm', memoryBytes }, e), 5, 'pack: K is at most K: no more than fit either');
  t.is(packSize({ mode: 'max', k: 3 }, { backend: 'wasm', memoryBytes }, e), 3);
});

test('pack runs: equal keys grouped in order of first appearance, cut into packs of K; no key runs alone', (t) => {
  const key = (s: string): string | undefined => (s.startsWith('-') ? undefined : s[0]);
  t.deepEqual(packRuns(['a1', 'b1', 'a2', '-x', 'a3', 'b2', 'a4', 'c1'], key, 3), [['a1', 'a2', 'a3'], ['a4'], ['b1', 'b2'], ['-x'], ['c1']]);
  t.deepEqual(packRuns(['a1', 'b1', 'a2'], key, 1), [['a1'], ['b1'], ['a2']], 'K = 1: every trial alone, in order');
});

const key = (method: string, params: Params, seed = 0): string => {
  const k = getMethod(method)?.packKey;
  if (!k) throw new Error(`${method} has no pack key`);
  return k(params, seed);
};

test('pack keys: trials pack when they differ only in what the packed trainer keeps per trial', (t) => {
  const same = (method: string, a: Params, b: Params, seeds: [number, number] = [0, 0]): boolean => key(method, a, seeds[0]) === key(method, b, seeds[1]);
  t.true(same('erm', { lr: 0.01, l2: 0 }, { lr: 0.1, l2: 0.01 }));
  t.true(same('erm', {}, { steps: 300, hidden: [64] }), 'defaults filled in');
  t.false(same('erm', { steps: 10 }, { steps: 20 }), 'step count');
  t.false(same('erm', { hidden: [8] }, { hidden: [16] }), 'architecture');
  t.false(same('erm', {}, {}, [0, 1]), 'the seed draws the rows');
  t.true(same('irm', { penalty_weight: 1, penalty_anneal_iters: 0, lr: 0.1 }, { penalty_weight: 1e4, penalty_anneal_iters: 50 }));
  t.true(same('vrex', { penalty_weight: 1 }, { penalty_weight: 10 }));
  t.true(same('irm-extrapolated', { variant: 'v', beta: 0.5 }, { variant: 'mm', alpha: -1 }), 'the objective is per trial');
  t.true(same('ib-irm', { ib_lambda: 0.1 }, { ib_lambda: 1, ib_penalty_anneal_iters: 10 }));
  t.true(same('reweight', { balance: 'group' }, { balance: 'class' }), 'row weights are per trial');
  t.false(same('subsample', { balance: 'group' }, { balance: 'class' }), 'other rows');
  t.true(same('subsample', { lr: 0.1 }, { lr: 0.2 }));
  t.true(same('group-balancing', { strategy: 'none' }, { strategy: 'reweight', balance: 'class' }), 'both train on every row');
  t.false(same('group-balancing', { strategy: 'reweight' }, { strategy: 'subsample' }));
  t.true(same('steer', { lr: 0.1 }, { lr: 0.2 }));
  t.false(same('steer', { strength: 0.5 }, { strength: 1 }), 'steered rows differ');
  t.true(same('reprogram', { lambda: 1, trigger_lr: 0.1 }, { lambda: 10, trigger_steps: 5, lr: 0.1 }), 'triggers train per trial');
  t.false(same('reprogram', { steps: 5 }, { steps: 6 }));
  t.is(getMethod('sleep')?.packKey, undefined, 'a method that builds no model does not pack');
});

test('shard planning: packable trials share shards, one pack key per shard, up to the pack size', (t) => {
  for (const [extra, cap] of [['', DEFAULT_PACK_SHARD_SIZE], ['pack: 4', 4], ['pack: 3\nshard_size: 5', 5]] as const) {
    const s = parseSpecText(spec(extra));
    const plan = planSweep('sw', s);
    const keys = plan.shards.map((sh) => new Set(sh.trials.map((tr) => key('irm', tr.params, tr.seed))));
    t.true(keys.every((k) => k.size === 1), `${extra}: one pack key per shard`);
    t.true(plan.shards.every((sh) => sh.trials.length <= cap), `${extra}: at most ${cap} trials`);
    t.is(plan.shards.length, 2 * Math.ceil(9 / cap), `${extra}: each seed's 9 trials cut into shards of ${cap}`);
    t.deepEqual(plan.shards.flatMap((sh) => sh.trials.map((tr) => tr.id)).sort(), plan.trials.map((tr) => tr.id).sort(), 'every trial once');
    t.deepEqual(replanShards('sw', spec(extra), plan.shardSize), plan.shards, 'planned again from the stored spec: the same shards');
  }
  const off = planSweep('sw', parseSpecText(spec('pack: off')));
  t.is(off.shardSize, defaultShardSize(18));
  t.deepEqual(off.shards.flatMap((sh) => sh.trials.map((tr) => tr.id)), off.trials.map((tr) => tr.id), 'pack: off keeps expansion order');
  const widths = planSweep('sw', parseSpecText(spec('', 'grid: { hidden: [[4], [8]], lr: [0.01, 0.02] }', 'erm')));
  t.true(widths.shards.every((sh) => new Set(sh.trials.map((tr) => JSON.stringify(tr.params.hidden))).size === 1), 'architectures never share a shard');
});
