import { fromParamMap, packSetting, type Shard, type Trial } from '../../proto/index.js';
import { datasetShape, getMethod, type DatasetShape, type MethodDescriptor } from '../../catalog/index.js';
import { memoryGuard, type MemoryBudget } from '../methods/memory-guard.js';
import { loadMethod } from '../methods/index.js';
import { parseTrialParams } from '../methods/method-params.js';
import type { MethodImpl, PackOutcome, TrialInput, TrialRuntime } from '../methods/types.js';
import type { Backend } from '../backend-types.js';
import { TrialFailedError } from '../errors.js';
import { packRuns, packSize } from './pack-plan.js';

/**
 * A shard's trials as the worker runs them: alone, or in packs (MethodImpl.runPack) of trials with
 * equal pack keys, as the shard's `pack` setting and the backend allow (pack-plan.ts).
 */

/** What deciding the packs needs from the worker. */
export interface PackHost {
  backend(): Promise<Backend>;
  memoryBudget?: MemoryBudget;
}

const unsafe = <T>(f: () => T): T | undefined => {
  try {
    return f();
  } catch {
    return undefined;
  }
};

/**
 * The trials in the order they run, cut into runs: a run of one runs alone (MethodImpl.run), a
 * longer one as a pack. Each trial alone when the shard says `pack: off`, when the method does not
 * pack (no packKey in the catalog or no runPack here) or when `pack: auto` finds a CPU backend.
 */
export async function shardRuns(shard: Shard, trials: readonly Trial[], host: PackHost): Promise<Trial[][]> {
  const alone = trials.map((t) => [t]);
  const setting = packSetting(shard.pack);
  const desc = getMethod(shard.method);
  const key = desc?.packKey;
  if (setting.mode === 'off' || trials.length < 2 || !desc || !key) return alone;
  const impl = await unsafe(() => loadMethod(shard.method))?.catch(() => undefined);
  if (!impl?.runPack) return alone;
  const backend = await host.backend().catch(() => undefined);
  if (!backend) return alone;
  const groups = packRuns(trials, (t) => unsafe(() => key(fromParamMap(t.params), t.seed)), Number.MAX_SAFE_INTEGER);
  return groups.flatMap((g) => {
    const [first] = g;
    if (!first || g.length < 2) return [g];
    const k = packSize(setting, {
      backend: backend.name,
      ...(host.memoryBudget ? { memoryBytes: host.memoryBudget.bytes } : {}),
      ...(backend.maxStorageBufferBindingSize !== undefined ? { maxStorageBufferBindingSize: backend.maxStorageBufferBindingSize } : {}),
    }, estimateOf(desc, shard, first));
    return packRuns(g, () => '', k);
  });
}

/**
 * The runs of one delivery of a shard. Nothing packs: every trial alone, in the shard's order (each
 * checked for a recorded result just before it runs, on a redelivery). Some trials pack: the runs
 * of the trials not yet recorded.
 */
export async function deliveryRuns(shard: Shard, attempt: number, recorded: (t: Trial) => Promise<boolean>, host: PackHost): Promise<Trial[][]> {
  const runs = await shardRuns(shard, shard.trials, host);
  if (runs.every((r) => r.length === 1)) return shard.trials.map((t) => [t]);
  if (attempt === 1) return runs;
  const pending: Trial[] = [];
  for (const t of shard.trials) if (!(await recorded(t))) pending.push(t);
  return shardRuns(shard, pending, host);
}

/** The catalog's memory estimate of one trial, when its params parse and its dataset's shape is known before it is read. */
function estimateOf(desc: MethodDescriptor, shard: Shard, trial: Trial) {
  const params = unsafe(() => parseTrialParams(desc.params, fromParamMap(trial.params)));
  const shape = unsafe(() => datasetShape(shard.dataset?.name ?? '', fromParamMap(shard.dataset?.options ?? {})));
  return params && shape ? desc.memory?.(params, shape) : undefined;
}

/**
 * Runs trials of a shard as one pack: each trial's params validated and its memory checked as
 * executeTrial does (one that fails either fails alone), the others through the method's runPack.
 * Outcomes in the order of `trials`. Throws (for every trial) only what would stop them all: an
 * unknown method, the backend, the dataset, cancellation.
 */
export async function executePack(shard: Shard, trials: readonly Trial[], attempt: number, rt: TrialRuntime): Promise<PackOutcome[]> {
  const desc = getMethod(shard.method);
  if (!desc) throw new TrialFailedError(`this worker has no method "${shard.method}" (is it an older version than the coordinator?)`);
  const loading = loadMethod(shard.method);
  if (!loading) throw new TrialFailedError(`this worker implements no method "${shard.method}" (is it an older version than the coordinator?)`);
  const impl: MethodImpl = await loading;
  if (!impl.runPack) throw new TrialFailedError(`method "${shard.method}" does not pack on this worker`);
  const dataset = { name: shard.dataset?.name ?? '', options: fromParamMap(shard.dataset?.options ?? {}) };
  const shape = datasetShape(dataset.name, dataset.options);
  const outcomes = new Array<PackOutcome | undefined>(trials.length);
  const inputs: TrialInput[] = [];
  const places: number[] = [];
  let checkMemory: ((s: DatasetShape) => void) | undefined;
  for (const [i, trial] of trials.entries()) {
    try {
      const params = parseTrialParams(desc.params, fromParamMap(trial.params));
      const check = rt.memoryBudget && desc.memory ? memoryGuard(desc, params, rt.memoryBudget) : undefined;
      if (check && shape) check(shape);
      checkMemory ??= check;
      inputs.push({ trialId: trial.id, sweepId: shard.sweepId, params, seed: trial.seed, dataset, attempt });
      places.push(i);
    } catch (error) {
      outcomes[i] = { ok: false, error };
    }
  }
  if (inputs.length > 0) {
    const results = await impl.runPack(inputs, checkMemory ? { ...rt, checkMemory } : rt);
    places.forEach((place, j) => {
      outcomes[place] = results[j] ?? { ok: false, error: new Error(`method "${shard.method}" answered ${results.length} outcomes for a pack of ${inputs.length}`) };
    });
  }
  return outcomes.map((o) => o ?? { ok: false, error: new Error('no outcome') });
}
