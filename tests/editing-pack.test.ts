import test, { type ExecutionContext } from 'ava';
import { loadBackend } from '../worker/backend.js';
import { getMethod } from '../catalog/index.js';
import { loadMethod } from '../worker/index.js';
import { predictProba } from '../worker/training/trainer.js';
import { batchedForwardBytes, batchedForwardChunk, predictProbaBatched } from '../worker/training/batched-evaluate.js';
import { disposeMlp } from '../worker/training/mlp.js';
import { mlpFromArrays, type MlpArrays } from '../worker/training/weights.js';
import { PrefixCache } from '../worker/methods/prefix-cache.js';
import type { MethodImpl, PackOutcome, TrialInput, TrialOutput, TrialRuntime } from '../worker/methods/types.js';
import type { Params } from '../proto/index.js';
import { TrialCancelledError, TrialFailedError } from '../worker/errors.js';
import { loadDataset, reportedSplits } from '../worker/datasets/index.js';

test.serial.before(async () => {
  await loadBackend();
});

const rt = (cache: PrefixCache, extra: Partial<TrialRuntime> = {}): TrialRuntime => ({ signal: new AbortController().signal, heartbeat: () => undefined, backend: () => loadBackend(), prefixCache: cache, ...extra });
const dataset = { name: 'toxicity', options: { n: 800, groups: 3, biased_groups: [0] } };
const common = { base_steps: 60, finetune_steps: 40, hidden: [8] };
const desc = getMethod('task-arithmetic')!;

const input = (params: Record<string, unknown>, seed = 0, i = 0): TrialInput => ({
  trialId: `t${i}`, sweepId: 'pack', params: desc.params.parse({ ...common, ...params }) as Params, seed, attempt: 1, dataset,
});

async function impl(): Promise<MethodImpl> {
  return (await loadMethod('task-arithmetic'))!;
}

/** The pack's outcome equals the trial run alone: same metrics and group rows, each within 1e-4. */
function sameAsAlone(t: ExecutionContext, packed: PackOutcome | undefined, alone: TrialOutput, what: string): void {
  if (!packed?.ok) return t.fail(`${what}: failed in the pack: ${packed ? String(packed.error) : 'no outcome'}`);
  const a = packed.output;
  t.deepEqual(Object.keys(a.metrics).sort(), Object.keys(alone.metrics).sort(), `${what}: metric names`);
  for (const [k, v] of Object.entries(alone.metrics)) {
    const p = a.metrics[k]!;
    t.true(Number.isNaN(v) ? Number.isNaN(p) : Math.abs(p - v) <= 1e-4, `${what}: ${k} packed ${p} vs alone ${v}`);
  }
  t.is(a.groupMetrics.length, alone.groupMetrics.length, `${what}: group rows`);
  alone.groupMetrics.forEach((g, i) => {
    const h = a.groupMetrics[i]!;
    t.is(`${h.split}/${h.group}`, `${g.split}/${g.group}`);
    for (const [k, v] of Object.entries(g.metrics)) t.true(Number.isNaN(v) ? Number.isNaN(h.metrics[k]!) : Math.abs(h.metrics[k]! - v) <= 1e-4, `${what}: ${g.split}/${g.group} ${k}`);
  });
}

/** Small random MLP parameters of these widths. */
function randomModel(dims: number[], seed: number): MlpArrays {
  let s = seed + 1;
  const r = (): number => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  return {
    dims,
    weights: dims.slice(0, -1).map((d, i) => Float32Array.from({ length: d * dims[i + 1]! }, r)),
    biases: dims.slice(1).map((d) => Float32Array.from({ length: d }, () => 0.1 * r())),
  };
}

test.serial('the batched forward pass gives each model the probabilities of its own forward pass', async (t) => {
  const { tf } = await loadBackend();
  const before = tf.memory().numTensors;
  // Every layer kind: none hidden, one (output on [n, K, h]), middle layers (batched or plain products).
  for (const dims of [[5, 1], [5, 6, 1], [5, 7, 3, 1], [5, 6, 4, 3, 1]]) {
    const models = [0, 1, 2, 3].map((k) => randomModel(dims, 10 * k + dims.length));
    const n = 13;
    const x = Float32Array.from({ length: n * 5 }, (_, i) => Math.sin(i * 0.7));
    const split = { n, x, y: new Float32Array(n), attribute: [], group: [] };
    for (const plain of [false, true]) {
      const batched = await predictProbaBatched(tf, models, x, n, 5, plain);
      t.is(batched.length, models.length);
      for (const [k, m] of models.entries()) {
        const model = mlpFromArrays(tf, m, false);
        const alone = await predictProba(tf, model, split, 5);
        disposeMlp(model);
        t.is(batched[k]!.length, n);
        t.true(alone.every((p, i) => Math.abs(p - batched[k]![i]!) < 1e-6), `dims ${dims.join('-')}, model ${k}, ${plain ? 'plain' : 'batched'} products`);
      }
    }
  }
  await t.throwsAsync(predictProbaBatched(tf, [randomModel([5, 4, 1], 0), randomModel([5, 3, 1], 1)], new Float32Array(5), 1, 5), { message: /model 1 has layer widths 5-3-1, model 0 has 5-4-1/ });
  t.is(tf.memory().numTensors, before, 'tf.memory().numTensors unchanged');
  t.is(batchedForwardChunk([5, 4, 1], 10, 2.5 * batchedForwardBytes([5, 4, 1], 10)), 2);
  t.is(batchedForwardChunk([5, 4, 1], 10, 1), 1, 'at least one model per pass');
});

test.serial('task arithmetic with full task vectors: each trial of a pack equals the trial run alone; a wrong coefficient count fails alone', async (t) => {
  const { tf } = await loadBackend();
  const m = await impl();
  const coefficients = [[1, 0, 0], [0.5, -0.5, 1], [1, 1, 1], [-1, 0, 2]];
  const inputs = coefficients.map((c, i) => input({ coefficients: c, finetune: 'full' }, 0, i));
  inputs.splice(2, 0, input({ coefficients: [1, 1], finetune: 'full' }, 0, 9));
  const before = tf.memory().numTensors;
  const cache = new PrefixCache();
  const packed = await m.runPack!(inputs, rt(cache));
  t.is(cache.snapshot().misses, 1, 'the prefix is computed once for the pack');
  // A budget that lets two edited models into one batched pass: the pack's four edited models are evaluated in two passes.
  const data = loadDataset(dataset.name, dataset.options, 0);
  const rows = Math.max(...reportedSplits(data).map(([, s]) => s.n));
  const chunked = await m.runPack!(inputs, rt(cache, { memoryBudget: { bytes: 2.5 * batchedForwardBytes([data.dim, 8, 1], rows), source: 'test' } }));
  t.is(packed.length, inputs.length);
  const bad = packed[2]!;
  t.false(bad.ok);
  t.regex(bad.ok ? '' : String(bad.error), /params\.coefficients: expected 3 values, one per subgroup \(id=0, id=1, id=2\), got 2/);
  // Alone, through a cache of its own: the prefix is trained again, not shared with the pack.
  const aloneCache = new PrefixCache();
  for (const [i, inp] of inputs.entries()) {
    if (i === 2) {
      await t.throwsAsync(m.run(inp, rt(aloneCache)), { message: /params\.coefficients: expected 3 values/ });
      continue;
    }
    const alone = await m.run(inp, rt(aloneCache));
    sameAsAlone(t, packed[i], alone, `full, trial ${i}`);
    sameAsAlone(t, chunked[i], alone, `full chunked, trial ${i}`);
  }
  t.is(tf.memory().numTensors, before, 'tf.memory().numTensors unchanged after the pack and the trials');
});

test.serial('task arithmetic with LoRA task vectors: a pack of two prefixes (two seeds) gives each trial what it gets alone, in input order', async (t) => {
  const { tf } = await loadBackend();
  const m = await impl();
  const coefficients = [[1, 0, 0], [0, 1, -1], [2, 0.5, 0.5]];
  const inputs = coefficients.flatMap((c, i) => [input({ coefficients: c, finetune: 'lora', lora_rank: 2 }, 0, 2 * i), input({ coefficients: c, finetune: 'lora-2' }, 1, 2 * i + 1)]);
  const before = tf.memory().numTensors;
  const cache = new PrefixCache();
  const packed = await m.runPack!(inputs, rt(cache));
  t.is(cache.snapshot().misses, 2, 'one prefix per seed');
  const aloneCache = new PrefixCache();
  for (const [i, inp] of inputs.entries()) sameAsAlone(t, packed[i], await m.run(inp, rt(aloneCache)), `LoRA, trial ${i} (seed ${inp.seed})`);
  t.true(packed.every((o) => o.ok));
  t.is(tf.memory().numTensors, before, 'tf.memory().numTensors unchanged');
});

test('packKey: trials differing only in coefficients share a pack; anything that changes θ₀, a task vector or the data does not', (t) => {
  const key = (params: Record<string, unknown>, seed = 0): string => desc.packKey!(params as Params, seed);
  const base = key({ coefficients: [1, 0, 0] });
  t.is(key({ coefficients: [0.5, -2, 1] }), base);
  t.is(key({ coefficients: [1, 1] }), base, 'a wrong count stays in the pack and fails there alone');
  t.is(key({ coefficients: [1, 0, 0], finetune: 'full', lora_rank: 16, lora_alpha: 3 }), base, 'a full fine-tune uses no LoRA setting');
  t.is(key({ coefficients: [1], hidden: [32], base_steps: 300 }), base, 'defaults are filled in');
  for (const [what, params, seed] of [
    ['seed', { coefficients: [1] }, 1],
    ['base_steps', { coefficients: [1], base_steps: 301 }, 0],
    ['finetune_steps', { coefficients: [1], finetune_steps: 1 }, 0],
    ['lr', { coefficients: [1], lr: 0.02 }, 0],
    ['finetune_lr', { coefficients: [1], finetune_lr: 0.02 }, 0],
    ['l2', { coefficients: [1], l2: 0 }, 0],
    ['hidden', { coefficients: [1], hidden: [32, 32] }, 0],
    ['finetune', { coefficients: [1], finetune: 'lora' }, 0],
  ] as const) t.not(key(params, seed), base, what);
  t.is(key({ coefficients: [1], finetune: 'lora', lora_rank: 2 }), key({ coefficients: [0], finetune: 'lora-2' }), 'lora at rank 2 is lora-2');
  t.not(key({ coefficients: [1], finetune: 'lora-2' }), key({ coefficients: [1], finetune: 'lora-4' }));
  t.not(key({ coefficients: [1], finetune: 'lora-2' }), key({ coefficients: [1], finetune: 'lora-2', lora_alpha: 4 }), 'the LoRA scale changes the task vectors');
  t.is(key({ coefficients: [1], finetune: 'lora-2', lora_rank: 8 }), key({ coefficients: [1], finetune: 'lora-2', lora_alpha: 2 }), 'lora_alpha defaults to the rank of lora-R');
  t.is(desc.prefixKey!({ coefficients: [1] }, 0), base, 'packs are the prefix groups the coordinator shards by');
  t.is(getMethod('lora')!.packKey, undefined, 'single fine-tunes do not pack');
  t.is(getMethod('finetune')!.packKey, undefined);
});

test.serial('a cancelled pack fails each of its trials with the cancellation, and a trial with invalid params with its own error', async (t) => {
  const m = await impl();
  const controller = new AbortController();
  controller.abort('sweep cancelled');
  const invalid: TrialInput = { ...input({ coefficients: [1, 0, 0] }, 0, 7), params: { ...common, coefficients: [1, 0, 0], finetune: 'lora-0' } };
  const inputs = [input({ coefficients: [1, 0, 0] }, 0, 0), invalid, input({ coefficients: [0, 1, 0] }, 0, 1)];
  const outcomes = await m.runPack!(inputs, { ...rt(new PrefixCache()), signal: controller.signal });
  t.is(outcomes.length, 3);
  for (const i of [0, 2]) {
    const o = outcomes[i]!;
    t.true(!o.ok && o.error instanceof TrialCancelledError && /sweep cancelled/.test(o.error.message), `trial ${i}`);
  }
  const bad = outcomes[1]!;
  t.true(!bad.ok && bad.error instanceof TrialFailedError && /invalid params: finetune/.test(bad.error.message), String(!bad.ok && bad.error));
});
