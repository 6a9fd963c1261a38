import type { MethodDescriptor } from './types.js';
import { asParams } from './training-params.js';
import { editingMemoryEstimate, finetuneParams, prefixParams, taskArithmeticParams, taskArithmeticPrefix } from './editing-params.js';
import { canonicalJson } from '../../proto/index.js';

/** Datasets with subgroups to fine-tune on. */
const EDITING_DATASETS: readonly string[] = ['toxicity', 'spurious', 'csv', 'colored-mnist'];

/** `task-arithmetic` (Ilharco et al.): θ₀ + Σ_g λ_g·τ_g over subgroup task vectors, full or LoRA fine-tunes. */
export const taskArithmeticMethod: MethodDescriptor = {
  name: 'task-arithmetic',
  summary: 'edited model θ₀ + Σ λ_g τ_g from subgroup fine-tunes (finetune: full | lora); grid over coefficients',
  datasets: EDITING_DATASETS,
  params: asParams(taskArithmeticParams),
  memory: editingMemoryEstimate,
  prefixKey: (params, seed) => canonicalJson(taskArithmeticPrefix(params, seed)),
  // A pack is a prefix group: its trials differ only in `coefficients`, whatever their count (a
  // trial with the wrong count fails alone inside the pack); every other param that is used, and the
  // seed (which also draws the data), changes θ₀ or a task vector. The dataset is the shard's.
  packKey: (params, seed) => canonicalJson(taskArithmeticPrefix(params, seed)),
};

/** `lora`: LoRA fine-tuning of a shared base model on one subgroup. */
export const loraMethod: MethodDescriptor = {
  name: 'lora',
  summary: 'LoRA fine-tune (rank lora_rank, scale lora_alpha/lora_rank) of a base model on target_group',
  datasets: EDITING_DATASETS,
  params: asParams(finetuneParams),
  memory: editingMemoryEstimate,
  prefixKey: (params, seed) => canonicalJson(prefixParams('lora', params, seed)),
};

/** `finetune`: full fine-tuning of a shared base model on one subgroup. */
export const finetuneMethod: MethodDescriptor = {
  name: 'finetune',
  summary: 'full fine-tune of a base model on target_group',
  datasets: EDITING_DATASETS,
  params: asParams(finetuneParams),
  memory: editingMemoryEstimate,
  prefixKey: (params, seed) => canonicalJson(prefixParams('finetune', params, seed)),
};
