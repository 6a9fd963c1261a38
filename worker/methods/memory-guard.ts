import type { Params } from '../../proto/index.js';
import { describeEstimate, type DatasetShape, type MethodDescriptor } from '../../catalog/index.js';
import { loadDataset, type Dataset } from '../datasets/index.js';
import { TrialMemoryError } from '../errors.js';
import type { TrialInput, TrialRuntime } from './types.js';
import { foldDataset } from './lodo.js';

/** What one trial of this worker may use: its share of WorkerOptions.memoryMb. */
export interface MemoryBudget {
  bytes: number;
  /** How the budget came about, for messages: `--memory-mb 2048 over 2 slots`. */
  source: string;
}

const MIB = 1024 * 1024;

/** A trial's share of a worker's memory: memoryMb over its slots. */
export function memoryBudget(memoryMb: number, slots: number): MemoryBudget {
  return { bytes: (memoryMb * MIB) / slots, source: `--memory-mb ${memoryMb} over ${slots} ${slots === 1 ? 'slot' : 'slots'}` };
}

/**
 * A check of one trial's params against `budget` for a dataset of a given shape: throws
 * TrialMemoryError (not retried) naming the param and the estimate when the method's estimate
 * (catalog) is over it.
 */
export function memoryGuard(method: MethodDescriptor, params: Params, budget: MemoryBudget): (data: DatasetShape) => void {
  return (data) => {
    const e = method.memory?.(params, data);
    if (!e || e.bytes <= budget.bytes) return;
    throw new TrialMemoryError(`${describeEstimate(e, data.train)}, more than this worker's ${Math.floor(budget.bytes / MIB)} MiB per trial (${budget.source}); not retried`);
  };
}

/** The shape of a loaded dataset: what a memory estimate needs. */
export function shapeOf(d: Dataset): DatasetShape {
  return { dim: d.dim, train: d.train.n, val: d.val.n, ...(d.trainval ? { trainval: d.trainval.n } : {}), test: d.test.n, groups: new Set(d.train.attribute).size };
}

/**
 * The trial's dataset (a leave-one-domain-out fold's when input.heldOutEnvironment is set), loaded under the worker's data directory, then checked against the
 * worker's memory budget (rt.checkMemory) before any model is built: a dataset whose shape only
 * its file tells (`csv`) is checked here, the others were checked before they were built too.
 */
export function loadTrialData(input: TrialInput, rt: TrialRuntime): Dataset {
  const loaded = loadDataset(input.dataset.name, input.dataset.options, input.seed, rt.dataRoot);
  const data = input.heldOutEnvironment === undefined ? loaded : foldDataset(loaded, input.heldOutEnvironment);
  rt.checkMemory?.(shapeOf(data));
  return data;
}
