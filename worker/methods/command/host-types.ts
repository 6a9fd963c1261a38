import type { CompiledCommandOptions } from './command-options.js';
import type { GpuPool } from './gpu-pool.js';

/** Which attempt of which trial something belongs to. */
export interface TrialRef {
  sweepId: string;
  trialId: string;
  attempt: number;
}

/** A file a command trial left, to keep as an artifact under `name`. */
export interface ArtifactFile {
  name: string;
  path: string;
  size: number;
}

/** Where a command trial's artifacts go (a JetStream object store bucket per sweep). */
export interface ArtifactSink {
  /** Stores the files; resolves with the names stored. Never throws: a failed store is logged and stores nothing. */
  store(trial: TrialRef, files: readonly ArtifactFile[]): Promise<string[]>;
}

/** What the worker gives command trials: its policy, directories, GPUs, and where progress and artifacts go. */
export interface CommandHost {
  readonly options: CompiledCommandOptions;
  readonly gpus: GpuPool;
  /** The worker's work directory, made on first use. */
  workDir(): Promise<string>;
  /** Forwards a progress line of a running trial (as a TrialEvent KIND_PROGRESS). */
  progress(trial: TrialRef, step: number, metrics: Record<string, number>): void;
  readonly artifacts: ArtifactSink | undefined;
}
