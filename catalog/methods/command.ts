import { z } from 'zod';
import { canonicalJson, type Params } from '../../proto/index.js';
import { paramSchemaLoose } from './param-schema.js';
import { asParams } from './training-params.js';
import type { MethodDescriptor } from './types.js';

/** Longest a command trial may be given (`timeout_s`): a week. */
export const MAX_COMMAND_TIMEOUT_S = 7 * 86_400;
/** Seconds between SIGTERM and SIGKILL when a command trial is cancelled or times out, by default. */
export const DEFAULT_COMMAND_GRACE_S = 10;

/** An environment variable as `NAME=value`. */
const envEntry = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*=/, 'expected NAME=value');

/**
 * The params `command` reserves for itself; every other param is the program's own (in the trial
 * file, and as `--name value` with `args: flags`).
 */
export const COMMAND_RESERVED_PARAMS = ['command', 'cwd', 'env', 'args', 'timeout_s', 'grace_s', 'vary', 'artifacts_mb'] as const;
/** MiB of artifacts a sweep keeps by default (`artifacts_mb`). */
export const DEFAULT_SWEEP_ARTIFACTS_MB = 1024;
/** The most `artifacts_mb` may be. */
export const MAX_SWEEP_ARTIFACTS_MB = 1024 * 1024;

/** A command sweep's artifact cap in bytes: its fixed `artifacts_mb` param, else DEFAULT_SWEEP_ARTIFACTS_MB. */
export function sweepArtifactBytes(fixedParams: Params): number {
  const mb = fixedParams['artifacts_mb'];
  return (typeof mb === 'number' && mb >= 1 && mb <= MAX_SWEEP_ARTIFACTS_MB ? Math.floor(mb) : DEFAULT_SWEEP_ARTIFACTS_MB) * 1024 * 1024;
}

/**
 * `command`: runs a program of the user's (any language, any framework) once per trial; see
 * docs/command-trials.md for the contract.
 * - `command`: the argv, no shell (`[python3, train.py]`);
 * - `cwd`: its working directory (default: the worker's);
 * - `env`: extra variables, `NAME=value` each;
 * - `args`: `flags` also passes the program's params as `--name value` (default `none`);
 * - `timeout_s`: the attempt fails after this long (default 0: no limit);
 * - `grace_s`: seconds from SIGTERM to SIGKILL on cancel or timeout (default DEFAULT_COMMAND_GRACE_S);
 * - `artifacts_mb`: MiB of artifacts the whole sweep keeps (its object store bucket's size; a
 *   fixed param, default DEFAULT_SWEEP_ARTIFACTS_MB);
 * - `vary`: params that do not change the trial's prefix: trials equal in all other params (and
 *   seed) run in one shard and share a FAIRSWEEP_CACHE_DIR.
 */
export const commandParamsSchema = z
  .object({
    command: z.array(z.string().min(1)).min(1, 'expected the program and its arguments, e.g. [python3, train.py]'),
    cwd: z.string().min(1).optional(),
    env: z.array(envEntry).default([]),
    args: z.enum(['none', 'flags']).default('none'),
    timeout_s: z.number().min(0).max(MAX_COMMAND_TIMEOUT_S).default(0),
    grace_s: z.number().min(0).max(3_600).default(DEFAULT_COMMAND_GRACE_S),
    vary: z.array(z.string()).default([]),
    artifacts_mb: z.number().int().min(1).max(MAX_SWEEP_ARTIFACTS_MB).default(DEFAULT_SWEEP_ARTIFACTS_MB),
  })
  .catchall(paramSchemaLoose);

export type CommandParams = z.output<typeof commandParamsSchema>;

/** The program's own params: every param `command` does not reserve. */
export function programParams(params: Params): Params {
  const reserved: readonly string[] = COMMAND_RESERVED_PARAMS;
  return Object.fromEntries(Object.entries(params).filter(([k]) => !reserved.includes(k)));
}

/** Trials equal in every param but those in `vary` (and in seed) share a prefix. */
export function commandPrefixKey(params: Params, seed: number): string {
  const vary = params['vary'];
  const varied = new Set(Array.isArray(vary) ? vary.map(String) : []);
  const kept = Object.fromEntries(Object.entries(params).filter(([k]) => !varied.has(k)));
  return canonicalJson({ method: 'command', params: kept, seed });
}

export const commandMethod: MethodDescriptor = {
  name: 'command',
  summary: 'runs your own program (argv, no shell) per trial; metrics from its predictions.csv and metrics.json',
  datasets: [],
  params: asParams(commandParamsSchema),
  prefixKey: commandPrefixKey,
};
