import { z } from 'zod';
import type { Params } from '../../proto/index.js';
import type { DatasetShape } from '../datasets/shape.js';
import { mlpTrainingMemory, type MemoryEstimate, type MlpMemoryOptions } from './memory-estimate.js';

/** Bytes of a float64, the dtype of the steering's covariance matrices. */
const DOUBLE_BYTES = 8;
const FLOAT_BYTES = 4;

/**
 * A method's memory estimate from its `hidden` param (parsed by the method's own schema, so its
 * default applies) and what else it keeps; undefined when `hidden` does not parse (the param check
 * reports that).
 */
export function trainingMemory(hidden: z.ZodType<readonly number[]>, extra?: (params: Params, data: DatasetShape, hidden: readonly number[]) => MlpMemoryOptions) {
  return (params: Params, data: DatasetShape): MemoryEstimate | undefined => {
    const h = hidden.safeParse(params.hidden);
    return h.success ? mlpTrainingMemory(data, h.data, extra?.(params, data, h.data)) : undefined;
  };
}

/** `steer`: a d×d float64 covariance and map per group, a few d×d temporaries, and steered copies of the splits. */
export const steeringExtra = (_: Params, data: DatasetShape): MlpMemoryOptions => ({
  extraBytes: DOUBLE_BYTES * data.dim * data.dim * (2 * data.groups + 4) + FLOAT_BYTES * data.dim * (data.train + data.val + data.test),
});

/** `reprogram`: a discriminator trained on the training rows beside the frozen model. */
export const discriminatorExtra = (params: Params): MlpMemoryOptions => {
  const widths = z.array(z.number()).safeParse(params.disc_hidden);
  return { extraActivationWidth: widths.success ? widths.data.reduce((a, b) => a + b, 0) : 0 };
};

/** `ib-irm`: the information-bottleneck penalty's variance of the hidden layers doubles what a step keeps per row (measured). */
export const bottleneckExtra = (_: Params, _data: DatasetShape, hidden: readonly number[]): MlpMemoryOptions => ({
  extraActivationWidth: hidden.reduce((a, b) => a + b, 0),
});

/** The model-editing methods keep the base model, a task vector per group and the edited model. */
export const editingExtra = (_: Params, data: DatasetShape): MlpMemoryOptions => ({ extraModelCopies: data.groups + 2 });
