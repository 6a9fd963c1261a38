import { isAbsolute, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { WorkerOptionError } from '../../errors.js';

/** Bytes of artifacts one command trial may store, by default (larger files are left out). */
export const DEFAULT_TRIAL_ARTIFACT_BYTES = 64 * 1024 * 1024;
/** Most slots pinned to one GPU. */
export const MAX_SLOTS_PER_GPU = 64;

/** What a worker lets command trials do (`fairsweep worker --allow-command ...`). */
export interface CommandOptions {
  /** Run command trials at all. Default false: they fail, saying the worker refuses them. */
  allow?: boolean;
  /**
   * Executables a command trial may start (absolute paths, or names looked up on the worker's
   * PATH when they have no slash). Default none listed: any, once `allow` is set.
   */
  allowExecutables?: readonly string[];
  /** GPU indices; each slot is pinned to one (CUDA_VISIBLE_DEVICES...). Default none. */
  gpus?: readonly number[];
  /** Slots pinned to each GPU. Default 1. */
  slotsPerGpu?: number;
  /** Where trial output and cache directories are made. Default a fresh directory under the system temp dir. */
  workDir?: string;
  /** Artifact bytes kept per trial (a sweep's total is its spec's `artifacts_mb`). Default DEFAULT_TRIAL_ARTIFACT_BYTES. */
  maxTrialArtifactBytes?: number;
}

export interface CompiledCommandOptions {
  readonly allow: boolean;
  readonly allowExecutables: readonly string[];
  readonly gpus: readonly number[];
  readonly slotsPerGpu: number;
  /** undefined: a fresh one per worker under the temp dir. */
  readonly workDir: string | undefined;
  readonly maxTrialArtifactBytes: number;
}

/** Fills the defaults of CommandOptions and checks them (WorkerOptionError names a bad one). */
export function compileCommandOptions(o: CommandOptions = {}): CompiledCommandOptions {
  const allow = o.allow ?? false;
  if (typeof allow !== 'boolean') throw new WorkerOptionError('command.allow', `expected true or false, got ${JSON.stringify(allow)}`);
  const allowExecutables = (o.allowExecutables ?? []).map((p, i) => {
    if (typeof p !== 'string' || p.trim() === '') throw new WorkerOptionError(`command.allowExecutables.${i}`, 'expected a path or a program name');
    return p.includes('/') ? resolve(p) : p;
  });
  const gpus = (o.gpus ?? []).map((g, i) => int(`command.gpus.${i}`, g, 0, 1023));
  if (new Set(gpus).size !== gpus.length) throw new WorkerOptionError('command.gpus', `a GPU is listed twice: ${gpus.join(',')}`);
  const slotsPerGpu = int('command.slotsPerGpu', o.slotsPerGpu ?? 1, 1, MAX_SLOTS_PER_GPU);
  if (o.workDir !== undefined && (typeof o.workDir !== 'string' || o.workDir.trim() === '')) throw new WorkerOptionError('command.workDir', 'expected a directory path');
  return Object.freeze({
    allow,
    allowExecutables: Object.freeze(allowExecutables),
    gpus: Object.freeze(gpus),
    slotsPerGpu,
    workDir: o.workDir === undefined ? undefined : isAbsolute(o.workDir) ? o.workDir : resolve(o.workDir),
    maxTrialArtifactBytes: int('command.maxTrialArtifactBytes', o.maxTrialArtifactBytes ?? DEFAULT_TRIAL_ARTIFACT_BYTES, 0, Number.MAX_SAFE_INTEGER),
  });
}

/** A fresh work directory's default parent and prefix. */
export const defaultWorkDirPrefix = (): string => join(tmpdir(), 'fairsweep-worker-');

function int(option: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new WorkerOptionError(option, `expected an integer from ${min} to ${max}, got ${value}`);
  return value;
}
