import type * as tfType from '@tensorflow/tfjs';
import { canonicalJson } from '../../proto/index.js';
import { reportedSplits, type Dataset, type Split } from '../datasets/index.js';
import { loadTrialData } from './memory-guard.js';
import { TrialFailedError, throwIfCancelled } from '../errors.js';
import { at } from '../checked-access.js';
import { selectRows } from '../training/balancing.js';
import { splitMetrics } from '../training/evaluate.js';
import { initLora, loraDelta, trainLora } from '../training/lora.js';
import { disposeMlp } from '../training/mlp.js';
import { predictProba, trainMlp } from '../training/trainer.js';
import { batchedForwardChunk, predictProbaBatched } from '../training/batched-evaluate.js';
import { arraysBytes, combine, mlpFromArrays, mlpToArrays, subtract, type MlpArrays } from '../training/weights.js';
import { finetuneParams, loraRankOf, prefixParams, taskArithmeticParams, taskArithmeticPrefix, type TaskArithmeticParams } from '../../catalog/methods/editing-params.js';
import { PrefixCache, prefixCache } from './prefix-cache.js';
import type { MethodImpl, PackOutcome, TrialInput, TrialOutput, TrialRuntime } from './types.js';
import { parseTrialParams, withParams } from './method-params.js';

type TF = typeof tfType;

interface EditingParams {
  base_steps: number;
  finetune_steps: number;
  lr: number;
  finetune_lr: number;
  l2: number;
  hidden: number[];
  lora_rank: number;
  lora_alpha?: number | undefined;
}

/** θ₀: an ERM model on the pooled training data, as arrays. */
async function trainBase(tf: TF, data: Dataset, p: EditingParams, seed: number, rt: TrialRuntime): Promise<MlpArrays> {
  const r = await trainMlp(tf, data.dim, data.environments, { steps: p.base_steps, lr: p.lr, l2: p.l2, hidden: p.hidden, seed, objective: { kind: 'erm' }, signal: rt.signal, heartbeat: rt.heartbeat });
  try {
    return await mlpToArrays(r.model);
  } finally {
    disposeMlp(r.model);
  }
}

/** A fine-tune of θ₀ on `rows` as a task vector: θ_g − θ₀ (full) or the LoRA delta (α/r)·B·A. */
async function taskVector(tf: TF, data: Dataset, base: MlpArrays, rows: Split, rank: number | undefined, p: EditingParams, seed: number, rt: TrialRuntime): Promise<MlpArrays> {
  if (rank === undefined) {
    const r = await trainMlp(tf, data.dim, [rows], { steps: p.finetune_steps, lr: p.finetune_lr, l2: p.l2, hidden: p.hidden, seed, objective: { kind: 'erm' }, signal: rt.signal, heartbeat: rt.heartbeat, initial: base });
    try {
      return subtract(await mlpToArrays(r.model), base);
    } finally {
      disposeMlp(r.model);
    }
  }
  const alpha = p.lora_alpha ?? rank;
  const factors = await trainLora(tf, base, rows, { rank, alpha, steps: p.finetune_steps, lr: p.finetune_lr, seed, signal: rt.signal, heartbeat: rt.heartbeat, initial: initLora(base.dims, rank, alpha, seed) });
  return loraDelta(base, factors);
}

/** The training rows of one subgroup (a value of the sensitive attribute). */
function subgroupRows(data: Dataset, g: string): Split {
  const idx: number[] = [];
  data.train.attribute.forEach((a, i) => a === g && idx.push(i));
  return selectRows(data.train, data.dim, idx);
}

const subgroups = (data: Dataset): string[] => [...new Set(data.train.attribute)].sort();

/** Adds one split's metrics (the same splitMetrics for a trial run alone and in a pack) to `out`. */
function addSplit(out: TrialOutput, name: string, split: Split, proba: Float32Array): void {
  const s = splitMetrics(name, split, proba);
  Object.assign(out.metrics, s.metrics);
  out.groupMetrics.push(...s.groups);
}

/** Metrics of the model with parameters `theta` on train, val and test. */
async function evaluate(tf: TF, data: Dataset, theta: MlpArrays): Promise<TrialOutput> {
  const model = mlpFromArrays(tf, theta, false);
  try {
    const out: TrialOutput = { metrics: {}, groupMetrics: [] };
    for (const [name, split] of reportedSplits(data)) addSplit(out, name, split, await predictProba(tf, model, split, data.dim));
    return out;
  } finally {
    disposeMlp(model);
  }
}

/** evaluate() of several models of one architecture, each split through one batched forward pass. */
async function evaluateBatched(tf: TF, data: Dataset, thetas: readonly MlpArrays[]): Promise<TrialOutput[]> {
  const outs: TrialOutput[] = thetas.map(() => ({ metrics: {}, groupMetrics: [] }));
  for (const [name, split] of reportedSplits(data)) {
    const probas = await predictProbaBatched(tf, thetas, split.x, split.n, data.dim);
    outs.forEach((out, k) => addSplit(out, name, split, at(probas, k, 'pack')));
  }
  return outs;
}

const cacheKey = (method: string, input: TrialInput): string =>
  PrefixCache.key({
    method,
    dataset: `${input.dataset.name}:${canonicalJson(input.dataset.options)}`,
    ...(method === 'task-arithmetic' ? taskArithmeticPrefix(input.params, input.seed) : prefixParams(method, input.params, input.seed)),
  });

/** The worker's prefix cache, or the module's when the runtime brings none. */
const cacheOf = (rt: TrialRuntime): PrefixCache => rt.prefixCache ?? prefixCache;

interface TaskPrefix {
  base: MlpArrays;
  groups: string[];
  vectors: MlpArrays[];
}

/** θ₀ and every τ_g of this trial's config, computed once through the prefix cache. */
async function taskPrefix(tf: TF, data: Dataset, p: TaskArithmeticParams, input: TrialInput, rt: TrialRuntime): Promise<TaskPrefix> {
  return cacheOf(rt).get<TaskPrefix>(
    cacheKey('task-arithmetic', input),
    async () => {
      const base = await trainBase(tf, data, p, input.seed, rt);
      const groups = subgroups(data);
      const vectors: MlpArrays[] = [];
      const rank = loraRankOf(p.finetune, p.lora_rank);
      for (const g of groups) vectors.push(await taskVector(tf, data, base, subgroupRows(data, g), rank, p, input.seed, rt));
      return { base, groups, vectors };
    },
    (v) => arraysBytes(v.base) + v.vectors.reduce((s, t) => s + arraysBytes(t), 0),
  );
}

/** TrialFailedError unless there is one λ per subgroup. */
function checkCoefficients(prefix: TaskPrefix, coefficients: readonly number[]): void {
  if (coefficients.length !== prefix.groups.length) {
    throw new TrialFailedError(`params.coefficients: expected ${prefix.groups.length} values, one per subgroup (${prefix.groups.join(', ')}), got ${coefficients.length}`);
  }
}

/** The edited model θ₀ + Σ_g λ_g·τ_g. */
function editedModel(prefix: TaskPrefix, coefficients: readonly number[]): MlpArrays {
  checkCoefficients(prefix, coefficients);
  return combine(prefix.base, prefix.vectors, coefficients);
}

const withNorm = (out: TrialOutput, coefficients: readonly number[]): TrialOutput => {
  out.metrics['edit/coefficient_norm'] = Math.hypot(...coefficients);
  return out;
};

/** `task-arithmetic`: θ₀ + Σ_g λ_g·τ_g, the prefix (θ₀ and every τ_g) computed once per config. */
const runTaskArithmetic = withParams(taskArithmeticParams, async (p, input, rt) => {
  const data = loadTrialData(input, rt);
  const { tf } = await rt.backend();
  const prefix = await taskPrefix(tf, data, p, input, rt);
  return withNorm(await evaluate(tf, data, editedModel(prefix, p.coefficients)), p.coefficients);
});

/** Most bytes one batched evaluation holds (K merged weight sets and their activations), unless the worker's budget per trial is lower. */
export const PACK_EVAL_BYTES = 256 * 1024 * 1024;

/**
 * Task-arithmetic trials as one pack: the trials that share a prefix (cache key: dataset, seed and
 * every param but `coefficients`) compute it once, then their K edited models are evaluated
 * together, each reported split in one batched forward pass, in chunks that keep a pass (its K
 * merged weight sets and activations, batchedForwardBytes) under PACK_EVAL_BYTES or the worker's
 * memory budget per trial, whichever is lower. A trial with bad params or the wrong number of coefficients fails alone; a
 * prefix that fails (divergence, cancellation) fails the trials that share it.
 */
async function runTaskArithmeticPack(inputs: readonly TrialInput[], rt: TrialRuntime): Promise<PackOutcome[]> {
  const outcomes: (PackOutcome | undefined)[] = inputs.map(() => undefined);
  const groups = new Map<string, { input: TrialInput; p: TaskArithmeticParams; index: number }[]>();
  inputs.forEach((input, index) => {
    try {
      const p = parseTrialParams(taskArithmeticParams, input.params);
      const key = cacheKey('task-arithmetic', input);
      groups.set(key, [...(groups.get(key) ?? []), { input, p, index }]);
    } catch (error) {
      outcomes[index] = { ok: false, error };
    }
  });
  for (const members of groups.values()) {
    const first = at(members, 0, 'pack');
    try {
      const data = loadTrialData(first.input, rt);
      const { tf } = await rt.backend();
      const prefix = await taskPrefix(tf, data, first.p, first.input, rt);
      const ready: { index: number; coefficients: number[] }[] = [];
      for (const m of members) {
        try {
          checkCoefficients(prefix, m.p.coefficients);
          ready.push({ index: m.index, coefficients: m.p.coefficients });
        } catch (error) {
          outcomes[m.index] = { ok: false, error };
        }
      }
      const rows = Math.max(...reportedSplits(data).map(([, s]) => s.n));
      const chunk = batchedForwardChunk(prefix.base.dims, rows, Math.min(PACK_EVAL_BYTES, rt.memoryBudget?.bytes ?? Infinity));
      for (let c = 0; c < ready.length; c += chunk) {
        throwIfCancelled(rt.signal);
        const part = ready.slice(c, c + chunk);
        // Only this chunk's edited models are merged at once.
        const outs = await evaluateBatched(tf, data, part.map((r) => editedModel(prefix, r.coefficients)));
        part.forEach((r, k) => (outcomes[r.index] = { ok: true, output: withNorm(at(outs, k, 'pack'), r.coefficients) }));
        rt.heartbeat();
      }
    } catch (error) {
      for (const m of members) outcomes[m.index] ??= { ok: false, error };
    }
  }
  return outcomes.map((o, i) => o ?? { ok: false, error: new TrialFailedError(`trial ${inputs[i]?.trialId}: no outcome from its pack`) });
}

export const taskArithmeticImpl: MethodImpl = { run: runTaskArithmetic.run, runPack: runTaskArithmeticPack };

/** `lora` and `finetune`: θ₀ (shared, cached) fine-tuned on one subgroup. */
function finetuneImpl(full: boolean): MethodImpl {
  return withParams(finetuneParams, async (p, input, rt) => {
    const data = loadTrialData(input, rt);
    const groups = subgroups(data);
    if (!groups.includes(p.target_group)) throw new TrialFailedError(`params.target_group: "${p.target_group}" is not a subgroup of the data (${groups.join(', ')})`);
    const { tf } = await rt.backend();
    const base = await cacheOf(rt).get(cacheKey(full ? 'finetune' : 'lora', input), () => trainBase(tf, data, p, input.seed, rt), arraysBytes);
    const tau = await taskVector(tf, data, base, subgroupRows(data, p.target_group), full ? undefined : p.lora_rank, p, input.seed, rt);
    return evaluate(tf, data, combine(base, [tau], [1]));
  });
}

export const loraImpl = finetuneImpl(false);
export const finetuneOnlyImpl = finetuneImpl(true);
