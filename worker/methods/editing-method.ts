import type * as tfType from '@tensorflow/tfjs';
import { canonicalJson } from '../../proto/index.js';
import { reportedSplits, type Dataset, type Split } from '../datasets/index.js';
import { loadTrialData } from './memory-guard.js';
import { TrialFailedError } from '../errors.js';
import { selectRows } from '../training/balancing.js';
import { splitMetrics } from '../training/evaluate.js';
import { initLora, loraDelta, trainLora } from '../training/lora.js';
import { disposeMlp } from '../training/mlp.js';
import { predictProba, trainMlp } from '../training/trainer.js';
import { arraysBytes, combine, mlpFromArrays, mlpToArrays, subtract, type MlpArrays } from '../training/weights.js';
import { finetuneParams, loraRankOf, prefixParams, taskArithmeticParams } from '../../catalog/methods/editing-params.js';
import { PrefixCache, prefixCache } from './prefix-cache.js';
import type { MethodImpl, TrialInput, TrialOutput, TrialRuntime } from './types.js';
import { withParams } from './method-params.js';

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

/** Metrics of the model with parameters `theta` on train, val and test. */
async function evaluate(tf: TF, data: Dataset, theta: MlpArrays): Promise<TrialOutput> {
  const model = mlpFromArrays(tf, theta, false);
  try {
    const metrics: Record<string, number> = {};
    const groupMetrics: TrialOutput['groupMetrics'] = [];
    for (const [name, split] of reportedSplits(data)) {
      const s = splitMetrics(name, split, await predictProba(tf, model, split, data.dim));
      Object.assign(metrics, s.metrics);
      groupMetrics.push(...s.groups);
    }
    return { metrics, groupMetrics };
  } finally {
    disposeMlp(model);
  }
}

const cacheKey = (method: string, input: TrialInput): string =>
  PrefixCache.key({ method, dataset: `${input.dataset.name}:${canonicalJson(input.dataset.options)}`, ...prefixParams(method, input.params, input.seed) });

/** The worker's prefix cache, or the module's when the runtime brings none. */
const cacheOf = (rt: TrialRuntime): PrefixCache => rt.prefixCache ?? prefixCache;

interface TaskPrefix {
  base: MlpArrays;
  groups: string[];
  vectors: MlpArrays[];
}

/** `task-arithmetic`: θ₀ + Σ_g λ_g·τ_g, the prefix (θ₀ and every τ_g) computed once per config. */
export const taskArithmeticImpl: MethodImpl = withParams(taskArithmeticParams, async (p, input, rt) => {
  const data = loadTrialData(input, rt);
  const { tf } = await rt.backend();
  const prefix = await cacheOf(rt).get<TaskPrefix>(
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
  if (p.coefficients.length !== prefix.groups.length) {
    throw new TrialFailedError(`params.coefficients: expected ${prefix.groups.length} values, one per subgroup (${prefix.groups.join(', ')}), got ${p.coefficients.length}`);
  }
  const out = await evaluate(tf, data, combine(prefix.base, prefix.vectors, p.coefficients));
  out.metrics['edit/coefficient_norm'] = Math.hypot(...p.coefficients);
  return out;
});

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
