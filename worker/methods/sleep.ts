import { setTimeout as sleepFor } from 'node:timers/promises';
import { z } from 'zod';
import { canonicalJson, type Params } from '../../proto/index.js';
import { paramSchemaLoose } from './param-schema.js';
import type { MethodDescriptor, MethodImpl, TrialInput, TrialRuntime } from './types.js';
import { TrialCancelledError } from '../errors.js';

/**
 * `sleep`: the orchestration test and benchmark trial. Waits `duration_ms` (cancellable), then
 * reports metrics computed deterministically from the params and seed:
 * - `score` and `cost`, two uniform [0, 1) values hashed from (params, seed): a 2-objective frontier;
 * - `x_sum`, the sum of every numeric param (lists included), for tests that need a known value.
 * `fail_rate` in [0, 1] makes an attempt throw, deterministically per (trial, attempt), so
 * retries are exercised; the attempt after a failure may succeed. `crash_rate` likewise kills the
 * whole worker process (SIGKILL) mid-trial: a poison trial, for fault-injection tests.
 */
export const sleepParams = z
  .object({
    duration_ms: z.number().min(0).max(86_400_000).default(100),
    fail_rate: z.number().min(0).max(1).default(0),
    crash_rate: z.number().min(0).max(1).default(0),
  })
  .catchall(paramSchemaLoose) as unknown as z.ZodType<Params>;

/** A uniform [0, 1) value from a string and a salt: 32-bit FNV-1a, then a murmur3 finaliser. */
export function unitHash(text: string, salt: number): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

function numericSum(v: unknown): number {
  if (typeof v === 'number') return v;
  if (Array.isArray(v)) return v.reduce((s: number, x) => s + numericSum(x), 0);
  return 0;
}

class SleepMethod implements MethodImpl {
  async run(input: TrialInput, rt: TrialRuntime): Promise<{ metrics: Record<string, number>; groupMetrics: [] }> {
    const p = input.params as { duration_ms: number; fail_rate: number; crash_rate: number } & Params;
    if (p.crash_rate > 0 && unitHash(input.trialId, 2000 + input.attempt) < p.crash_rate) process.kill(process.pid, 'SIGKILL');
    if (p.duration_ms > 0) {
      try {
        await sleepFor(p.duration_ms, undefined, { signal: rt.signal });
      } catch (err) {
        if (rt.signal.aborted) throw new TrialCancelledError('sleep cancelled', { cause: err });
        throw err;
      }
    }
    const key = `${canonicalJson(input.params)}|${input.seed}`;
    if (p.fail_rate > 0 && unitHash(input.trialId, 1000 + input.attempt) < p.fail_rate) {
      throw new Error(`injected failure (fail_rate ${p.fail_rate}, attempt ${input.attempt})`);
    }
    const sum = Object.entries(input.params)
      .filter(([k]) => k !== 'duration_ms' && k !== 'fail_rate' && k !== 'crash_rate')
      .reduce((s, [, v]) => s + numericSum(v), 0);
    return {
      metrics: { score: unitHash(key, 1), cost: unitHash(key, 2), x_sum: sum },
      groupMetrics: [],
    };
  }
}

export const sleepMethod: MethodDescriptor = {
  name: 'sleep',
  summary: 'waits duration_ms and reports deterministic metrics (orchestration tests and benchmarks)',
  datasets: [],
  params: sleepParams,
  load: () => Promise.resolve(new SleepMethod()),
};
