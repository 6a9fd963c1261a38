import type { Command } from 'commander';
import { SpecError } from '../coordinator/errors.js';
import { DEFAULT_MAX_TRIALS, DEFAULT_MAX_TRIAL_MEMORY_MB, parseSpecText, planSweep, trainingsPerTrial, type ValidatedSpec } from '../coordinator/spec/index.js';
import { intArg, readSpecFile } from './args.js';
import { ExitCode } from './exit-codes.js';

/**
 * `fairsweep validate SPEC`: the checks a coordinator makes on submit, offline (no coordinator, no
 * NATS). Valid: the trial count, shard count and method, exit 0. Invalid: every error with its path,
 * exit 1.
 */
export function addValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('check a sweep spec offline (no coordinator, no NATS): prints its trials, shards and method, or every error with its path (exit 1)')
    .argument('<spec>', 'sweep spec (YAML)')
    .option('--max-trials <n>', 'largest sweep the coordinator accepts (its --max-trials)', intArg(1, 100_000_000), DEFAULT_MAX_TRIALS)
    .option('--max-trial-memory-mb <n>', "largest estimated memory of one trial, in MiB (the coordinator's --max-trial-memory-mb)", intArg(1, 1024 ** 3), DEFAULT_MAX_TRIAL_MEMORY_MB)
    .option('--json', 'print one JSON object: {valid, trials, shards, method, selection, trainings_per_trial, ...} or {valid: false, errors: [{path, message}]}')
    .action(async (path: string, o: { maxTrials: number; maxTrialMemoryMb: number; json?: boolean }) => {
      const text = await readSpecFile(path);
      let spec: ValidatedSpec;
      try {
        spec = parseSpecText(text, { maxTrials: o.maxTrials, maxTrialMemoryMb: o.maxTrialMemoryMb });
      } catch (err) {
        if (!(err instanceof SpecError)) throw err;
        if (o.json) process.stdout.write(`${JSON.stringify({ spec: path, valid: false, errors: err.issues.map((i) => ({ path: i.path, message: i.message })) })}\n`);
        else {
          const n = err.issues.length;
          process.stderr.write(`fairsweep: ${path}: invalid spec, ${n} ${n === 1 ? 'error' : 'errors'}:\n${err.issues.map((i) => `  ${i.path || '(spec)'}: ${i.message}\n`).join('')}`);
        }
        process.exitCode = ExitCode.Error;
        return;
      }
      for (const w of spec.warnings) process.stderr.write(`fairsweep: warning: ${path}: ${w}\n`);
      const plan = planSweep(spec.name, spec);
      const info = { spec: path, valid: true, name: spec.name, method: spec.method, dataset: spec.dataset?.name ?? null, trials: spec.trials, shards: plan.totalShards, shard_size: plan.shardSize, selection: spec.selection ?? null, trainings_per_trial: trainingsPerTrial(spec), warnings: spec.warnings };
      process.stdout.write(
        o.json
          ? `${JSON.stringify(info)}\n`
          : `${path}: valid: ${spec.trials} trials in ${plan.totalShards} shards (shard size ${plan.shardSize}), method ${spec.method}${spec.dataset ? ` on dataset ${spec.dataset.name}` : ''}${info.trainings_per_trial > 1 ? `; leave-one-domain-out: each trial trains ${info.trainings_per_trial} models (all environments, then each held out), about ${info.trainings_per_trial}x the time` : ''}\n`,
      );
    });
}
