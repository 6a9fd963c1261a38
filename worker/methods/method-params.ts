import type { z } from 'zod';
import type { Params } from '../../proto/index.js';
import { TrialFailedError } from '../errors.js';
import type { MethodImpl, TrialInput, TrialOutput, TrialRuntime } from './types.js';

/**
 * A trial's params parsed by the method's catalog schema: its typed output (defaults filled in),
 * or a TrialFailedError naming the first bad param, e.g. `invalid params: hidden.0: ...`.
 */
export function parseTrialParams<S extends z.ZodType>(schema: S, params: Params): z.output<S> {
  const parsed = schema.safeParse(params);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  throw new TrialFailedError(`invalid params: ${first ? `${first.path.join('.')}: ${first.message}` : parsed.error.message}`, { cause: parsed.error });
}

/** A method implementation whose `run` gets its params typed by the catalog schema it was given. */
export function withParams<S extends z.ZodType>(
  schema: S,
  run: (params: z.output<S>, input: TrialInput, rt: TrialRuntime) => Promise<TrialOutput>,
): MethodImpl {
  return { run: (input, rt) => run(parseTrialParams(schema, input.params), input, rt) };
}
