import { ACTIVATION_COPIES, type MemoryEstimate } from '../../catalog/index.js';
import type { PackSetting } from '../../proto/index.js';

/**
 * How many trials a worker trains as one pack (packed training: worker/training/packed-trainer.ts),
 * from the shard's `pack` setting and what the backend can hold. Packing is for GPU backends:
 * measured on wasm it is about 2x slower per trial-step (docs/benchmarks.md), so `auto` packs only
 * on webgpu and tensorflow-gpu.
 */

/** Backends on which `pack: auto` packs. */
export const PACKING_BACKENDS: readonly string[] = ['webgpu', 'tensorflow-gpu'];
/** Most trials `pack: auto` puts in one pack, whatever fits. */
export const MAX_AUTO_PACK = 64;

/** What limits a pack on this worker. */
export interface PackLimits {
  /** The loaded backend's name. */
  backend: string;
  /** Memory one slot's trials may use (WorkerOptions.memoryMb over the slots): a pack runs in one slot. */
  memoryBytes?: number;
  /** The largest buffer a kernel may bind (WebGPU's maxStorageBufferBindingSize). */
  maxStorageBufferBindingSize?: number;
}

/**
 * The largest pack: 1 means one trial at a time.
 * - `off`: 1.
 * - K: up to K, on any backend (equivalence tests run packs on wasm and cpu this way).
 * - `auto`: 1 on a CPU backend; on a GPU backend up to MAX_AUTO_PACK.
 * Both K and auto then take at most the trials whose models, optimiser state and activations fit
 * `memoryBytes` beside the one copy of the data they share (the catalog's estimate of one trial,
 * `estimate`), with each trial's activations (the widest batched buffer holds K of them) within
 * `maxStorageBufferBindingSize`; at least 1 (a trial too big alone is the memory guard's to refuse).
 */
export function packSize(setting: PackSetting, limits: PackLimits, estimate?: MemoryEstimate): number {
  if (setting.mode === 'off') return 1;
  if (setting.mode === 'auto' && !PACKING_BACKENDS.includes(limits.backend)) return 1;
  let k = setting.mode === 'max' ? Math.floor(setting.k) : MAX_AUTO_PACK;
  if (estimate) {
    const perTrial = estimate.modelBytes + estimate.activationBytes;
    if (limits.memoryBytes !== undefined && perTrial > 0) k = Math.min(k, Math.floor((limits.memoryBytes - estimate.dataBytes) / perTrial));
    // One trial's largest activation buffer is at most its activations over ACTIVATION_COPIES (all its layers' widths).
    const perTrialBuffer = estimate.activationBytes / ACTIVATION_COPIES;
    if (limits.maxStorageBufferBindingSize !== undefined && perTrialBuffer > 0) k = Math.min(k, Math.floor(limits.maxStorageBufferBindingSize / perTrialBuffer));
  }
  return Math.max(1, k);
}

/**
 * The trials cut into runs: trials with equal pack keys (`keyOf`; undefined: the trial packs with
 * none) grouped in order of first appearance and cut into packs of at most `k`; a group or remainder
 * of one is a run of one. With k = 1 every trial is its own run, in order.
 */
export function packRuns<T>(trials: readonly T[], keyOf: (t: T) => string | undefined, k: number): T[][] {
  if (k <= 1) return trials.map((t) => [t]);
  const groups = new Map<string, T[]>();
  const runs: T[][] = [];
  for (const t of trials) {
    const key = keyOf(t);
    if (key === undefined) {
      runs.push([t]);
      continue;
    }
    const g = groups.get(key);
    if (g) g.push(t);
    else {
      const fresh = [t];
      groups.set(key, fresh);
      runs.push(fresh);
    }
  }
  return runs.flatMap((g) => {
    const out: T[][] = [];
    for (let i = 0; i < g.length; i += k) out.push(g.slice(i, i + k));
    return out;
  });
}
