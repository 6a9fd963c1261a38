import { z } from 'zod';
import type { Params } from '../../proto/index.js';
import { paramSchemaLoose } from './param-schema.js';
import type { MethodDescriptor } from './types.js';

/**
 * `sleep`: the orchestration test and benchmark trial. Waits `duration_ms` (cancellable), then
 * reports metrics computed deterministically from the params and seed:
 * - `score` and `cost`, two uniform [0, 1) values hashed from (params, seed): a 2-objective frontier;
 * - `x_sum`, the sum of every numeric param (lists included), for tests that need a known value.
 * `fail_rate` in [0, 1] makes an attempt throw, deterministically per (trial, attempt), so
 * retries are exercised; the attempt after a failure may succeed. `crash_rate` likewise kills the
 * whole worker process (SIGKILL) mid-trial: a poison trial, for fault-injection tests.
 * `sleepParamsSchema` is typed (the worker parses with it); `sleepParams` is the registry's view.
 */
export const sleepParamsSchema = z
  .object({
    duration_ms: z.number().min(0).max(86_400_000).default(100),
    fail_rate: z.number().min(0).max(1).default(0),
    crash_rate: z.number().min(0).max(1).default(0),
  })
  .catchall(paramSchemaLoose);

export const sleepParams = sleepParamsSchema as unknown as z.ZodType<Params>;

export const sleepMethod: MethodDescriptor = {
  name: 'sleep',
  summary: 'waits duration_ms and reports deterministic metrics (orchestration tests and benchmarks)',
  datasets: [],
  params: sleepParams,
};
