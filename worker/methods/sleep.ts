import { setTimeout as sleepFor } from 'node:timers/promises';
import { canonicalJson } from '../../proto/index.js';
import { sleepParamsSchema } from '../../catalog/methods/sleep.js';
import type { MethodImpl } from './types.js';
import { withParams } from './method-params.js';
import { TrialCancelledError } from '../errors.js';

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

/** The `sleep` method (catalog/methods/sleep.ts describes its params). */
export const sleepImpl: MethodImpl = withParams(sleepParamsSchema, async (p, input, rt) => {
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
});
