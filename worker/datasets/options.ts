import type { z } from 'zod';
import type { Params } from '../../proto/index.js';
import { DatasetError } from '../errors.js';

/** Validates dataset options; errors name the option as `dataset.NAME`. */
export function parseOptions<T>(schema: z.ZodType<T>, options: Params, dataset: string): T {
  const r = schema.safeParse(options);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  if (issue?.code === 'unrecognized_keys') throw new DatasetError(`dataset.${issue.keys[0]}: unknown option of dataset "${dataset}"`);
  const path = issue ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('') : '';
  throw new DatasetError(`dataset${path}: ${issue?.message ?? r.error.message}`);
}
