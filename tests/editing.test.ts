import test from 'ava';
import fc from 'fast-check';
import type * as tfType from '@tensorflow/tfjs';
import { loadBackend } from '../worker/backend.js';
import { getMethod } from '../catalog/index.js';
import { loadMethod } from '../worker/index.js';
import { initLora, loraDelta } from '../worker/training/lora.js';
import { combine, mlpFromArrays, type MlpArrays } from '../worker/training/weights.js';
import { forward, disposeMlp } from '../worker/training/mlp.js';
import { PrefixCache, prefixCache } from '../worker/methods/prefix-cache.js';
import { planPrefixShards, planTrials, trialId, type Axis } from '../coordinator/index.js';
import type { TrialRuntime, TrialOutput } from '../worker/methods/types.js';
import type { Params } from '../proto/index.js';

const rt = (): TrialRuntime => ({ signal: new AbortController().signal, heartbeat: () => undefined, backend: () => loadBackend() });
const dataset = { name: 'toxicity', options: { n: 800, groups: 3, biased_groups: [0] } };
const common = { base_steps: 60, finetune_steps: 40, hidden: [8] };

async function run(method: string, params: Record<string, unknown>, seed = 0): Promise<TrialOutput> {
  const d = getMethod(method)!;
  return (await loadMethod(d.name)!).run({ trialId: method, sweepId: 's', params: d.params.parse(method === 'erm' ? params : { ...common, ...params }) as Params, seed, attempt: 1, dataset }, rt());
}

const same = (t: import('ava').ExecutionContext, a: TrialOutput, b: TrialOutput, what: string): void => {
  for (const k of ['test/accuracy', 'test/equalized_odds_difference', 'train/accuracy', 'val/ece']) {
    t.true(Math.abs(a.metrics[k]! - b.metrics[k]!) < 1e-6, `${what}: ${k} ${a.metrics[k]} vs ${b.metrics[k]}`);
  }
};

test.serial('a task vector with λ = 1 on one subgroup reproduces that fine-tuned model; λ = 0 reproduces the base model', async (t) => {
  const { tf } = await loadBackend();
  const before = tf.memory().numTensors;
  for (const [g, onehot] of [['id=1', [0, 1, 0]], ['id=2', [0, 0, 1]]] as const) {
    const edited = await run('task-arithmetic', { coefficients: [...onehot], finetune: 'full' });
    const tuned = await run('finetune', { target_group: g });
    same(t, edited, tuned, `λ = e_${g}`);
  }
  const zero = await run('task-arithmetic', { coefficients: [0, 0, 0] });
  const base = await run('erm', { steps: common.base_steps, lr: 0.01, l2: 0.0001, hidden: common.hidden });
  same(t, zero, base, 'λ = 0');
  // The LoRA variant: λ = 1 reproduces the LoRA fine-tune of the same rank.
  same(t, await run('task-arithmetic', { coefficients: [1, 0, 0], finetune: 'lora', lora_rank: 2 }), await run('lora', { target_group: 'id=0', lora_rank: 2 }), 'LoRA λ = e_0');
  t.is(tf.memory().numTensors, before, 'tf.memory().numTensors unchanged after the trials');
});

test.serial('the coefficient vector must have one value per subgroup', async (t) => {
  await t.throwsAsync(run('task-arithmetic', { coefficients: [1, 1] }), { message: /params\.coefficients: expected 3 values, one per subgroup \(id=0, id=1, id=2\), got 2/ });
  await t.throwsAsync(run('lora', { target_group: 'id=9' }), { message: /params\.target_group: "id=9" is not a subgroup/ });
});

test('LoRA with B = 0 is the base model, and its delta is (α/r)·Aᵀ·Bᵀ', async (t) => {
  const { tf } = await loadBackend();
  const dims = [5, 4, 1];
  const base: MlpArrays = { dims, weights: [Float32Array.from({ length: 20 }, (_, i) => Math.sin(i)), Float32Array.from({ length: 4 }, (_, i) => Math.cos(i))], biases: [new Float32Array(4).fill(0.1), new Float32Array(1)] };
  const f = initLora(dims, 2, 6, 0);
  const zero = loraDelta(base, f);
  t.true(zero.weights.every((w) => w.every((v) => v === 0)), 'B = 0 gives a zero delta');
  t.deepEqual(combine(base, [zero], [1]).weights, base.weights);
  // A non-zero B: the delta equals (α/r)·Aᵀ·Bᵀ from a matMul on the backend.
  f.b = f.b.map((b) => b.map((_, i) => (i % 3) - 1));
  const delta = loraDelta(base, f);
  for (let i = 0; i < dims.length - 1; i++) {
    const ref = tf.tidy(() => tf.mul(6 / 2, tf.matMul(tf.tensor2d(f.a[i]!, [dims[i]!, 2]), tf.tensor2d(f.b[i]!, [2, dims[i + 1]!]))));
    const want = (await ref.data()) as Float32Array;
    ref.dispose();
    t.true(delta.weights[i]!.every((v, j) => Math.abs(v - want[j]!) < 1e-5), `layer ${i}`);
  }
  // And the model with the delta equals forward(x·(W + ΔW) + b).
  const m = mlpFromArrays(tf, combine(base, [delta], [1]), false);
  const z = tf.tidy(() => forward(tf, m, tf.ones([3, 5])));
  t.is(z.shape[0], 3);
  tf.dispose(z as tfType.Tensor);
  disposeMlp(m);
});

test.serial('the prefix is computed once for a sweep of coefficient vectors, and not at all cached when disabled', async (t) => {
  const before = prefixCache.snapshot();
  for (const c of [[1, 0, 0], [0, 1, 0], [0.5, 0.5, 0.5], [-1, 0, 1]]) await run('task-arithmetic', { coefficients: c, finetune_steps: 41 }, 5);
  const after = prefixCache.snapshot();
  t.is(after.misses - before.misses, 1, 'one computation of the prefix');
  t.is(after.hits - before.hits, 3);
  let computed = 0;
  const off = new PrefixCache(1024, false);
  for (let i = 0; i < 3; i++) await off.get('k', async () => ++computed, () => 8);
  t.is(computed, 3, 'disabled: every trial computes its prefix');
});

test('the prefix cache stays within its byte bound, evicting the least recently used', async (t) => {
  const cache = new PrefixCache(100, true);
  let computed = 0;
  const get = (k: string): Promise<number> => cache.get(k, async () => ++computed, () => 40);
  await get('a');
  await get('b');
  await get('a'); // a is now the most recent
  await get('c'); // 120 bytes > 100: evicts b
  const s = cache.snapshot();
  t.is(s.evictions, 1);
  t.true(s.bytes <= 100);
  await get('a');
  t.is(computed, 3, 'a is still cached');
  await get('b');
  t.is(computed, 4, 'b was evicted and is computed again');
  // A failed computation is not cached.
  await t.throwsAsync(cache.get('x', async () => Promise.reject(new Error('boom')), () => 1));
  t.is(await cache.get('x', async () => 7, () => 1), 7);
});

test('property: prefix sharding keeps trials with equal prefixes in the same shards and covers every trial once', (t) => {
  const prefixKey = getMethod('task-arithmetic')!.prefixKey!;
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 10 }), (k, ranks, seeds, size) => {
      const axes: Axis[] = [
        ['coefficients', Array.from({ length: k }, (_, i) => [i, -i])],
        ['lora_rank', Array.from({ length: ranks }, (_, i) => 2 ** i)],
      ];
      const trials = planTrials('sw', axes, { finetune: 'lora' }, Array.from({ length: seeds }, (_, i) => i));
      const shards = planPrefixShards('sw', trials, size, (tr) => prefixKey(tr.params, tr.seed));
      const ids = shards.flatMap((s) => s.trials.map((tr) => tr.id));
      if (ids.length !== trials.length || new Set(ids).size !== trials.length) return false;
      // Every shard holds one prefix; a prefix spans ceil(group / size) shards.
      const keysOf = shards.map((s) => new Set(s.trials.map((tr) => prefixKey(tr.params, tr.seed))));
      if (keysOf.some((ks) => ks.size !== 1)) return false;
      return shards.length === ranks * seeds * Math.ceil(k / size) && trials.every((tr) => tr.id === trialId('sw', tr.params, tr.seed));
    }),
  );
  t.pass();
});
