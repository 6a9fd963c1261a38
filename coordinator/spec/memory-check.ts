import type { Param, Params } from '../../proto/index.js';
import { datasetShape, describeEstimate, type MemoryEstimate, type MethodDescriptor } from '../../catalog/index.js';
import { SpecError } from '../errors.js';
import type { Axis } from './grid.js';

/** Largest estimated memory of one trial a coordinator accepts unless configured otherwise (`--max-trial-memory-mb`). */
export const DEFAULT_MAX_TRIAL_MEMORY_MB = 2048;
const MIB = 1024 * 1024;

/**
 * Refuses a spec with a trial whose estimated memory (catalog: the method's `memory`, from the
 * dataset's shape) is over `maxMb`: the fixed params, each grid value and each drawn sample with
 * the rest at their first value, then every axis at its largest value together. The error names
 * the param's path and the estimate. A dataset whose shape only its file tells (`csv`) is checked
 * by the worker once it has read it.
 */
export function checkTrialMemory(method: MethodDescriptor, dataset: { name: string; options: Params } | undefined, fixed: Params, grid: readonly Axis[], samples: readonly Params[], maxMb: number): void {
  const estimate = method.memory;
  const shape = dataset ? datasetShape(dataset.name, dataset.options) : undefined;
  if (!estimate || !shape) return;
  const limit = maxMb * MIB;
  const base: Params = { ...fixed, ...samples[0] };
  for (const [k, values] of grid) base[k] = values[0] as Param;
  const sampled = new Set(Object.keys(samples[0] ?? {}));
  const refuse = (path: string, e: MemoryEstimate): SpecError =>
    SpecError.at(path, `${describeEstimate(e, shape.train)}, more than this coordinator's limit of ${maxMb} MiB per trial (--max-trial-memory-mb)`);
  const where = (key: string): string => (grid.some(([k]) => k === key) ? `grid.${key}[0]` : sampled.has(key) ? `search.space.${key} (sample 0)` : `params.${key}`);

  const first = estimate(base, shape);
  if (first && first.bytes > limit) throw refuse(where(first.param), first);
  const largest: Params = { ...base };
  const largestPaths: string[] = [];
  for (const [k, values] of grid) {
    let top = first?.bytes ?? 0;
    let topIndex = -1;
    values.forEach((v, i) => {
      const e = estimate({ ...base, [k]: v }, shape);
      if (!e) return;
      if (e.bytes > limit) throw refuse(`grid.${k}[${i}]`, e);
      if (e.bytes > top) [top, topIndex] = [e.bytes, i];
    });
    if (topIndex >= 0) {
      largest[k] = values[topIndex] as Param;
      largestPaths.push(`grid.${k}[${topIndex}]`);
    }
  }
  samples.forEach((sample, i) => {
    const e = estimate({ ...base, ...sample }, shape);
    if (e && e.bytes > limit) throw refuse(`search.space.${e.param} (sample ${i})`, e);
  });
  const together = estimate(largest, shape);
  if (together && together.bytes > limit) throw refuse(largestPaths.join(' with ') || where(together.param), together);
}
