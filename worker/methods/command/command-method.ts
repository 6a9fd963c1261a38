import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { commandParamsSchema, commandPrefixKey, programParams, type CommandParams } from '../../../catalog/methods/command.js';
import type { Param, Params } from '../../../proto/index.js';
import { readRegularFile, RegularFileError, DEFAULT_MAX_DATA_BYTES } from '../../regular-file.js';
import { TrialCancelledError, TrialFailedError } from '../../errors.js';
import { withParams } from '../method-params.js';
import type { MethodImpl, TrialOutput, TrialRuntime } from '../types.js';
import { checkCommandAllowed, CommandRefusedError } from './executable-policy.js';
import { gpuEnvironment } from './gpu-pool.js';
import type { ArtifactFile, CommandHost, TrialRef } from './host-types.js';
import { parsePredictions, predictionMetrics, PredictionsFileError } from './predictions-file.js';
import { mergeProgramMetrics, parseProgramMetrics } from './program-metrics.js';
import { runProgram, type ProgramExit } from './program-run.js';
import { ProgressTail } from './progress-tail.js';

export const PREDICTIONS_FILE = 'predictions.csv';
export const METRICS_FILE = 'metrics.json';
export const LOG_FILE = 'log.txt';

/** A command attempt that failed in a way the next attempt may not repeat (non-zero exit, crash, timeout): retried as any trial error. */
export class CommandFailedError extends Error {
  override name = 'CommandFailedError';
}

/**
 * The worker's environment as a program sees it: without the worker's own FAIRSWEEP_* variables,
 * which hold its NATS credentials (FAIRSWEEP_NATS_PASSWORD, _TOKEN) and settings.
 */
export function inheritedEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FAIRSWEEP_')));
}

/** `--name value` for each of the program's params: lists and booleans as JSON, strings as they are. */
export function paramFlags(params: Params): string[] {
  const text = (v: Param): string => (typeof v === 'string' ? v : JSON.stringify(v));
  return Object.entries(params).flatMap(([k, v]) => [`--${k}`, text(v)]);
}

/** The `command` method: see catalog/methods/command.ts and docs/command-trials.md. */
export const commandImpl: MethodImpl = withParams(commandParamsSchema, async (p, input, rt) => {
  const host = rt.command;
  if (!host) throw new CommandRefusedError('command trials run only on a worker (fairsweep worker --allow-command)');
  const cwd = resolve(p.cwd ?? process.cwd());
  const env: NodeJS.ProcessEnv = { ...inheritedEnv(), ...Object.fromEntries(p.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])) };
  const [program] = p.command;
  checkCommandAllowed(host.options, program ?? '', cwd, env['PATH']);
  if (!(await stat(cwd).then((s) => s.isDirectory(), () => false))) throw new TrialFailedError(`cwd: ${cwd} is not a directory on this worker`);
  const ref: TrialRef = { sweepId: input.sweepId, trialId: input.trialId, attempt: input.attempt };
  const root = await host.workDir();
  const trialDir = join(root, 'trials', input.sweepId, `${input.trialId}-a${input.attempt}`);
  const outputDir = join(trialDir, 'output');
  const cacheDir = join(root, 'cache', createHash('sha256').update(`${input.sweepId}\n${commandPrefixKey(input.params, input.seed)}`).digest('hex').slice(0, 24));
  await rm(trialDir, { recursive: true, force: true });
  await mkdir(outputDir, { recursive: true });
  await mkdir(cacheDir, { recursive: true });
  const own = programParams(input.params);
  const trialFile = join(trialDir, 'trial.json');
  await writeFile(trialFile, JSON.stringify({ sweep_id: input.sweepId, trial_id: input.trialId, seed: input.seed, attempt: input.attempt, params: own }, null, 2));
  const progressFile = join(trialDir, 'progress.jsonl');
  const logPath = join(trialDir, LOG_FILE);
  const gpu = host.gpus.acquire();
  try {
    const exit = await run(p, host, ref, rt, {
      argv: [...p.command, ...(p.args === 'flags' ? paramFlags(own) : [])],
      cwd,
      env: {
        ...env,
        ...gpuEnvironment(gpu),
        FAIRSWEEP_TRIAL_FILE: trialFile,
        FAIRSWEEP_OUTPUT_DIR: outputDir,
        FAIRSWEEP_CACHE_DIR: cacheDir,
        FAIRSWEEP_PROGRESS_FILE: progressFile,
        FAIRSWEEP_SEED: String(input.seed),
      },
      logPath,
      progressFile,
    });
    if (exit.aborted) throw new TrialCancelledError('command trial stopped: its sweep was cancelled or its shard handed back');
    let out: TrialOutput;
    try {
      out = exitOutcome(exit, p) ?? readOutputs(outputDir);
    } finally {
      // The log and outputs of a failed attempt are kept too: they say why it failed.
      await keepArtifacts(host, ref, rt, outputDir, logPath);
    }
    return gpu === undefined ? out : { ...out, gpu };
  } finally {
    host.gpus.release(gpu);
    await rm(trialDir, { recursive: true, force: true }).catch(() => undefined);
  }
});

interface RunPaths {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logPath: string;
  progressFile: string;
}

async function run(p: CommandParams, host: CommandHost, ref: TrialRef, rt: TrialRuntime, r: RunPaths): Promise<ProgramExit> {
  const tail = new ProgressTail(r.progressFile, (line) => {
    rt.heartbeat();
    host.progress(ref, line.step, line.metrics);
  });
  try {
    return await runProgram({ argv: r.argv, cwd: r.cwd, env: r.env, logPath: r.logPath, signal: rt.signal, timeoutMs: p.timeout_s * 1000, graceMs: p.grace_s * 1000 });
  } finally {
    await tail.stop();
  }
}

/** The error of an attempt that did not end well, thrown; undefined when the program exited 0. */
function exitOutcome(exit: ProgramExit, p: CommandParams): undefined {
  const stderr = exit.stderrTail.trim() === '' ? '' : `; stderr ends with:\n${exit.stderrTail.trimEnd()}`;
  const argv0 = JSON.stringify(p.command[0]);
  if (exit.spawnError !== undefined) throw new TrialFailedError(`command ${argv0} could not be started: ${exit.spawnError}`);
  if (exit.timedOut) throw new CommandFailedError(`command ${argv0} timed out after timeout_s ${p.timeout_s}${stderr}`);
  if (exit.signal !== null) throw new CommandFailedError(`command ${argv0} was killed by ${exit.signal}${stderr}`);
  if (exit.code !== 0) throw new CommandFailedError(`command ${argv0} exited with code ${exit.code}${stderr}`);
  return undefined;
}

/** The file's text, or undefined when it is absent. */
function readOptional(path: string, shownAs: string): string | undefined {
  try {
    return readRegularFile(path, { maxBytes: DEFAULT_MAX_DATA_BYTES, shownAs, noFollow: true }).toString('utf8');
  } catch (err) {
    if (err instanceof RegularFileError && err.problem === 'missing') return undefined;
    throw new PredictionsFileError(err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/** Metrics from predictions.csv and metrics.json; a program that wrote neither fails. */
function readOutputs(outputDir: string): TrialOutput {
  const predictions = readOptional(join(outputDir, PREDICTIONS_FILE), PREDICTIONS_FILE);
  const own = readOptional(join(outputDir, METRICS_FILE), METRICS_FILE);
  if (predictions === undefined && own === undefined) {
    throw new TrialFailedError(`the program exited 0 but wrote neither ${PREDICTIONS_FILE} nor ${METRICS_FILE} in FAIRSWEEP_OUTPUT_DIR`);
  }
  const computed = predictions === undefined ? { metrics: {}, groupMetrics: [] } : predictionMetrics(parsePredictions(predictions, PREDICTIONS_FILE));
  const metrics = own === undefined ? computed.metrics : mergeProgramMetrics(computed.metrics, parseProgramMetrics(own, METRICS_FILE), METRICS_FILE);
  return { metrics, groupMetrics: computed.groupMetrics };
}

/** Regular files under `dir`, as artifact names relative to it. */
async function filesUnder(dir: string, prefix = ''): Promise<ArtifactFile[]> {
  const out: ArtifactFile[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(path, `${prefix}${e.name}/`)));
    else if (e.isFile()) out.push({ name: `${prefix}${e.name}`, path, size: (await stat(path)).size });
  }
  return out;
}

/** Stores the log and the output files, smallest first, within the per-trial cap (the sink logs a store that fails; the trial goes on). */
async function keepArtifacts(host: CommandHost, ref: TrialRef, rt: TrialRuntime, outputDir: string, logPath: string): Promise<void> {
  if (!host.artifacts) return;
  const log = await stat(logPath).then((s) => [{ name: LOG_FILE, path: logPath, size: s.size }], () => []);
  const files = [...log, ...(await filesUnder(outputDir)).map((f) => ({ ...f, name: `output/${f.name}` }))].sort((a, b) => a.size - b.size);
  let room = host.options.maxTrialArtifactBytes;
  const kept = files.filter((f) => (f.size <= room ? ((room -= f.size), true) : false));
  rt.heartbeat();
  await host.artifacts.store(ref, kept);
}

