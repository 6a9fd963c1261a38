import type { Params } from '../../proto/index.js';
import type { Backend } from '../backend-types.js';
import type { PrefixCache } from './prefix-cache.js';
import type { DataRoot } from '../datasets/data-root.js';
import type { CommandHost } from './command/host-types.js';
import type { DatasetShape } from '../../catalog/index.js';
import type { MemoryBudget } from './memory-guard.js';

export interface DatasetConfig {
  name: string;
  options: Params;
}

/** What a method needs to run one trial. */
export interface TrialInput {
  trialId: string;
  sweepId: string;
  /** Fixed params merged with the grid point, validated by the method's schema. */
  params: Params;
  seed: number;
  dataset: DatasetConfig;
  /** Delivery attempt of the shard running this trial, 1 on the first. */
  attempt: number;
  /**
   * The sweep's model selection (Shard.selection), when it names one. `leave-one-domain-out`:
   * methods wrapped by withLeaveOneDomainOut (lodo.ts) also train once per held-out environment.
   */
  selection?: string;
  /** Set on a leave-one-domain-out fold: loadTrialData holds this training environment out (lodo.ts foldDataset). */
  heldOutEnvironment?: number;
}

/** What the worker runtime gives a running trial. */
export interface TrialRuntime {
  /** Aborted when the sweep is cancelled or the worker hands its shard back. */
  signal: AbortSignal;
  /** Tells JetStream the shard is still being worked on; call it between steps. */
  heartbeat(): void;
  /** The worker's numeric backend; loaded lazily by methods that need it. */
  backend(): Promise<Backend>;
  /**
   * The worker's cache of expensive trial prefixes, shared by its slots. Unset (a method called
   * directly, as in tests and benchmarks), methods use the module's `prefixCache`.
   */
  prefixCache?: PrefixCache;
  /**
   * The worker's data directory (WorkerOptions.dataDir and maxDataBytes): dataset files are read
   * under it only. Unset, a dataset read from a file (`csv`) fails with NoDataDirError.
   */
  dataRoot?: DataRoot;
  /** What the worker gives command trials (its --allow-command policy, GPUs, artifacts). Unset, they are refused. */
  command?: CommandHost;
  /**
   * This worker's memory budget for one trial (WorkerOptions.memoryMb over its slots). Unset (a
   * method called directly, as in tests and benchmarks), nothing is checked.
   */
  memoryBudget?: MemoryBudget;
  /**
   * Throws TrialMemoryError when this trial would not fit memoryBudget on a dataset of this shape;
   * set by the runtime for each trial, called by loadTrialData before a model is built.
   */
  checkMemory?(data: DatasetShape): void;
  /**
   * Reports a running trial's metrics at a training step (a TrialEvent KIND_PROGRESS, which early
   * stopping ranks). Unset (a method called directly), reports go nowhere.
   */
  progress?(step: number, metrics: Record<string, number>): void;
}

export interface GroupMetricsRow {
  split: string;
  group: string;
  metrics: Record<string, number>;
}

export interface TrialOutput {
  /** "<split>/<metric>" -> value */
  metrics: Record<string, number>;
  groupMetrics: GroupMetricsRow[];
  /** The GPU the trial was pinned to, when it was. */
  gpu?: number;
}

/** One trial's outcome in a pack: its output, or the error it failed with (the pack's other trials go on). */
export type PackOutcome = { ok: true; output: TrialOutput } | { ok: false; error: unknown };

export interface MethodImpl {
  run(input: TrialInput, rt: TrialRuntime): Promise<TrialOutput>;
  /**
   * Runs trials whose params give equal pack keys (MethodDescriptor.packKey) as one pack: one
   * batched model or one batched forward pass. Outcomes in the order of `inputs`, each equal to what
   * `run` gives that trial alone (within 1e-4). Absent: the method does not pack.
   */
  runPack?(inputs: readonly TrialInput[], rt: TrialRuntime): Promise<PackOutcome[]>;
}
