import { z } from 'zod';
import type { Params } from '../../proto/index.js';
import { editingExtra, trainingMemory } from './method-memory.js';

/** Params shared by the model-editing methods (task arithmetic, LoRA, fine-tuning). */
const editingShape = {
  /** Steps of the base model θ₀ on pooled data. */
  base_steps: z.number().int().min(1).max(1_000_000).default(300),
  /** Steps of each fine-tune (full or LoRA). */
  finetune_steps: z.number().int().min(1).max(1_000_000).default(150),
  lr: z.number().positive().max(10).default(0.01),
  finetune_lr: z.number().positive().max(10).default(0.01),
  l2: z.number().min(0).default(0.0001),
  hidden: z.array(z.number().int().min(1).max(65_536)).max(16).default([32]),
  lora_rank: z.number().int().min(1).max(1024).default(4),
  /** LoRA scale numerator: the delta is (lora_alpha / lora_rank)·B·A; default lora_rank (scale 1). */
  lora_alpha: z.number().positive().optional(),
};

/** The memory estimate of the model-editing methods, from their `hidden`. */
export const editingMemoryEstimate = trainingMemory(editingShape.hidden, editingExtra);

export const taskArithmeticParams = z.strictObject({
  ...editingShape,
  /** full, lora (rank lora_rank) or lora-R (rank R): one grid axis compares full fine-tuning and LoRA ranks. */
  finetune: z.union([z.enum(['full', 'lora']), z.string().regex(/^lora-[1-9]\d{0,3}$/, 'expected full, lora or lora-R (R a rank, e.g. lora-4)')]).default('full'),
  /** λ_g per subgroup, in sorted subgroup order; λ < 0 negates a task vector. */
  coefficients: z.array(z.number().min(-100).max(100)).min(1).max(64),
});

export const finetuneParams = z.strictObject({
  ...editingShape,
  /** The subgroup (value of the dataset's sensitive attribute, e.g. "id=2") to fine-tune on. */
  target_group: z.string().min(1),
});

export type TaskArithmeticParams = z.output<typeof taskArithmeticParams>;
export type FinetuneParams = z.output<typeof finetuneParams>;

/** Params that only the per-trial edit uses; the rest define the shared prefix. */
const EDIT_ONLY: Record<string, readonly string[]> = {
  'task-arithmetic': ['coefficients'],
  // LoRA ranks and fine-tuning settings share the base model.
  lora: ['finetune_steps', 'finetune_lr', 'lora_rank', 'lora_alpha', 'target_group'],
  finetune: ['finetune_steps', 'finetune_lr', 'lora_rank', 'lora_alpha', 'target_group'],
};

/** The part of a trial's params (with its seed) that determines its expensive shared prefix. */
export function prefixParams(method: string, params: Params, seed: number): Params {
  const drop = new Set(EDIT_ONLY[method] ?? []);
  return { ...Object.fromEntries(Object.entries(params).filter(([k]) => !drop.has(k))), seed };
}

/** The LoRA rank a `finetune` value asks for (undefined: full fine-tuning). */
export function loraRankOf(finetune: string, loraRank: number): number | undefined {
  if (finetune === 'full') return undefined;
  if (finetune === 'lora') return loraRank;
  return Number(finetune.slice('lora-'.length));
}

/**
 * What decides a task-arithmetic trial's prefix (θ₀ and its task vectors), normalised so that
 * trials computing the same prefix give equal values: the params parsed (defaults filled in),
 * `coefficients` left out, and the LoRA settings resolved to what the fine-tunes use (`lora` with
 * lora_rank 4 is `lora-4`, lora_alpha defaults to the rank) or dropped where nothing uses them (full
 * fine-tunes). Params that do not parse are kept as given (the trial fails on its own).
 */
export function taskArithmeticPrefix(params: Params, seed: number): Params {
  const parsed = taskArithmeticParams.safeParse(params);
  if (!parsed.success) return prefixParams('task-arithmetic', params, seed);
  const p = parsed.data;
  const out: Params = { base_steps: p.base_steps, finetune_steps: p.finetune_steps, lr: p.lr, finetune_lr: p.finetune_lr, l2: p.l2, hidden: p.hidden, finetune: 'full', seed };
  const rank = loraRankOf(p.finetune, p.lora_rank);
  if (rank !== undefined) Object.assign(out, { finetune: `lora-${rank}`, lora_alpha: p.lora_alpha ?? rank });
  return out;
}
