import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_TRIAL_ARTIFACT_BYTES, type CommandOptions } from '../worker/index.js';
import { intArg } from './args.js';

const MIB = 1024 * 1024;

/** The flags of command trials, as commander parses them. */
export interface CommandFlagValues {
  allowCommand?: boolean;
  allowExecutable?: string[];
  gpus?: number[];
  slotsPerGpu?: number;
  workDir?: string;
  maxTrialArtifactMb?: number;
}

/** `0,1,3`: GPU indices. */
function gpuList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const gpus = parts.map(Number);
  if (parts.some((s) => !/^\d+$/.test(s)) || gpus.some((g) => g > 1023)) throw new InvalidArgumentError('expected GPU indices separated by commas, e.g. 0,1,2,3');
  if (new Set(gpus).size !== gpus.length) throw new InvalidArgumentError('a GPU is listed twice');
  return gpus;
}

/** --allow-command and --allow-executable (`fairsweep worker` and `fairsweep run`). */
export function addCommandPolicyFlags(cmd: Command): Command {
  return cmd
    .option('--allow-command', 'run command trials (method: command): programs named in a spec run as this user; refused without it')
    .option('--allow-executable <path...>', 'with --allow-command: only these executables (paths, or names on PATH)');
}

/** `fairsweep worker`'s flags of command trials: the policy, GPU pinning, work dir, artifact caps. */
export function addCommandWorkerFlags(cmd: Command): Command {
  return addCommandPolicyFlags(cmd)
    .option('--gpus <list>', 'GPUs for command trials, e.g. 0,1,2,3: each slot is pinned to one (CUDA_VISIBLE_DEVICES); slots default to GPUs × slots-per-gpu', gpuList)
    .option('--slots-per-gpu <k>', 'slots pinned to each GPU of --gpus', intArg(1, 64))
    .option('--work-dir <dir>', 'where command trials get their output and cache directories (default: a fresh temp directory)')
    .option('--max-trial-artifact-mb <n>', `artifacts kept per command trial, in MiB (default ${DEFAULT_TRIAL_ARTIFACT_BYTES / MIB}; a sweep's total is its artifacts_mb param)`, intArg(0, 1_048_576));
}

/** WorkerOptions.command from the flags. */
export function commandOptionsFrom(o: CommandFlagValues): CommandOptions {
  return {
    allow: o.allowCommand === true,
    ...(o.allowExecutable ? { allowExecutables: o.allowExecutable } : {}),
    ...(o.gpus ? { gpus: o.gpus } : {}),
    ...(o.slotsPerGpu !== undefined ? { slotsPerGpu: o.slotsPerGpu } : {}),
    ...(o.workDir !== undefined ? { workDir: o.workDir } : {}),
    ...(o.maxTrialArtifactMb !== undefined ? { maxTrialArtifactBytes: o.maxTrialArtifactMb * MIB } : {}),
  };
}

/** The worker arguments that pass `fairsweep run`'s policy flags on to the workers it starts. */
export function commandPolicyArgs(o: Pick<CommandFlagValues, 'allowCommand' | 'allowExecutable'>): string[] {
  return [...(o.allowCommand ? ['--allow-command'] : []), ...(o.allowExecutable && o.allowExecutable.length > 0 ? ['--allow-executable', ...o.allowExecutable] : [])];
}
