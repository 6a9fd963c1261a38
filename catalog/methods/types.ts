import type { z } from 'zod';
import type { Params } from '../../proto/index.js';
import type { DatasetShape } from '../datasets/shape.js';
import type { MemoryEstimate } from './memory-estimate.js';

/**
 * What the catalog says of a method: enough for the coordinator to validate a spec and plan its
 * shards, with no numeric code. A worker registers an implementation under the same name.
 */
export interface MethodDescriptor {
  readonly name: string;
  readonly summary: string;
  /** Datasets the method accepts; empty when it uses none. */
  readonly datasets: readonly string[];
  /** Validates one trial's params (fixed params merged with a grid point). */
  readonly params: z.ZodType<Params>;
  /**
   * Trials whose params (with the seed) give equal keys share an expensive prefix (a base model,
   * subgroup fine-tunes): the coordinator puts them in the same shard, the worker computes it once.
   */
  prefixKey?(params: Params, seed: number): string;
  /**
   * Trials whose params (with the seed) give equal keys can run as one pack (the worker's
   * MethodImpl.runPack): same data, architecture and step count, differing only in values the
   * packed computation keeps per trial. Absent: the method does not pack.
   */
  packKey?(params: Params, seed: number): string;
  /**
   * The method trains on the dataset's training environments and its worker implementation can
   * train once more per held-out environment (`selection: leave-one-domain-out`, `lodo/` metrics).
   */
  readonly leaveOneDomainOut?: boolean;
  /**
   * What one trial needs in memory (its model, optimiser state, activations and data), estimated
   * from its params and the dataset's shape before anything is built; absent for methods that build
   * no model. The coordinator checks it at submit, the worker before it trains.
   */
  memory?(params: Params, data: DatasetShape): MemoryEstimate | undefined;
}
