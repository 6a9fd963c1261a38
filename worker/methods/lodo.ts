import { LEAVE_ONE_DOMAIN_OUT, LODO_METRIC_PREFIX } from '../../proto/index.js';
import { trainingEnvironments } from '../../catalog/index.js';
import { concatSplits, type Dataset } from '../datasets/index.js';
import { SPLIT_METRICS } from '../training/evaluate.js';
import { TrialFailedError } from '../errors.js';
import type { MethodImpl, PackOutcome, TrialInput, TrialOutput, TrialRuntime } from './types.js';

/**
 * Leave-one-domain-out model selection (DomainBed; Gulrajani and Lopez-Paz, 2021). Under
 * `selection: leave-one-domain-out` (TrialInput.selection, from Shard.selection) a trial trains as
 * usual on every training environment, reports train/val/test as usual, and then trains once more
 * per training environment e on the others, scoring that model on e's rows. It reports:
 *
 * - `lodo/<metric>`: the mean over the held-out environments of each split metric (SPLIT_METRICS),
 *   what the coordinator ranks a `test/<metric>` objective on under this selection;
 * - `lodo/env<e>/accuracy`: the accuracy of the fold that held environment e out.
 *
 * A fold is the same method run on a fold dataset (`foldDataset`): loadTrialData builds it when
 * TrialInput.heldOutEnvironment is set, so a method needs no code of its own: loadMethod (registry.ts)
 * wraps every method the catalog marks MethodDescriptor.leaveOneDomainOut.
 */

/** Fewest training environments a fold split needs: one held out, at least two to train on. */
export const LODO_MIN_TRAINING_ENVIRONMENTS = 3;

/**
 * The data of the fold holding out training environment `held`: the other environments train (and
 * pool into `train`); the held-out environment's rows are the `test` split, so the method's own
 * scoring reports them as `test/…`. `val` stays; `trainval` is dropped (its rows come from every
 * training environment, the held-out one included).
 */
export function foldDataset(data: Dataset, held: number): Dataset {
  const e = data.environments.length;
  if (e < LODO_MIN_TRAINING_ENVIRONMENTS) {
    throw new TrialFailedError(`leave-one-domain-out: dataset "${data.name}" has ${e} training environment(s); at least ${LODO_MIN_TRAINING_ENVIRONMENTS} are needed (one held out, two to train on)`);
  }
  const heldOut = data.environments[held];
  if (!Number.isInteger(held) || !heldOut) throw new TrialFailedError(`leave-one-domain-out: no training environment ${held} to hold out (dataset "${data.name}" has ${e}: 0..${e - 1})`);
  const environments = data.environments.filter((_, i) => i !== held);
  return { name: data.name, dim: data.dim, environments, train: concatSplits(environments, data.dim), val: data.val, test: heldOut };
}

/** Whether this run of a trial is the full run of a leave-one-domain-out trial (not one of its folds). */
export function wantsFolds(input: TrialInput): boolean {
  return input.selection === LEAVE_ONE_DOMAIN_OUT && input.heldOutEnvironment === undefined;
}

/** `lodo/` metrics from the `test/` metrics of each fold's output, in environment order. */
export function foldMetrics(folds: readonly TrialOutput[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of SPLIT_METRICS) {
    const values = folds.map((f) => f.metrics[`test/${m}`] ?? Number.NaN).filter((v) => Number.isFinite(v));
    // A fold where the metric is undefined (no positive in a group, say) is left out of the mean; none: NaN.
    out[`${LODO_METRIC_PREFIX}/${m}`] = values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
  }
  folds.forEach((f, e) => {
    out[`${LODO_METRIC_PREFIX}/env${e}/accuracy`] = f.metrics['test/accuracy'] ?? Number.NaN;
  });
  return out;
}

/** Runs the folds of `input` one after another (one model in memory at a time) and returns their `lodo/` metrics. */
async function runFolds(impl: MethodImpl, input: TrialInput, rt: TrialRuntime): Promise<Record<string, number>> {
  const envs = trainingEnvironments(input.dataset);
  if (envs === undefined || envs < LODO_MIN_TRAINING_ENVIRONMENTS) {
    throw new TrialFailedError(`leave-one-domain-out: dataset "${input.dataset.name}" ${envs === undefined ? 'does not say how many training environments it has' : `has ${envs} training environment(s)`}; at least ${LODO_MIN_TRAINING_ENVIRONMENTS} are needed`);
  }
  // Folds report no progress: early stopping (rt.progress) judges the trial on its full run's steps only.
  const { progress: _progress, ...foldRt } = rt;
  const folds: TrialOutput[] = [];
  for (let e = 0; e < envs; e++) folds.push(await impl.run({ ...input, heldOutEnvironment: e }, foldRt));
  return foldMetrics(folds);
}

async function withFolds(impl: MethodImpl, input: TrialInput, rt: TrialRuntime, out: TrialOutput): Promise<TrialOutput> {
  if (!wantsFolds(input)) return out;
  return { ...out, metrics: { ...out.metrics, ...(await runFolds(impl, input, rt)) } };
}

/**
 * `impl` with leave-one-domain-out folds: a trial whose input asks for them (wantsFolds) also runs
 * its folds after the full run and reports their `lodo/` metrics beside its own. A packed run
 * (runPack, kept when `impl` has one) adds the folds of each trial that asks, trial by trial.
 */
export function withLeaveOneDomainOut(impl: MethodImpl): MethodImpl {
  const run = async (input: TrialInput, rt: TrialRuntime): Promise<TrialOutput> => withFolds(impl, input, rt, await impl.run(input, rt));
  const pack = impl.runPack?.bind(impl);
  if (!pack) return { run };
  return {
    run,
    runPack: async (inputs, rt): Promise<PackOutcome[]> => {
      const outcomes = await pack(inputs, rt);
      const done: PackOutcome[] = [];
      for (const [i, o] of outcomes.entries()) {
        const input = inputs[i];
        if (!o.ok || !input) {
          done.push(o);
          continue;
        }
        try {
          done.push({ ok: true, output: await withFolds(impl, input, rt, o.output) });
        } catch (error) {
          if (rt.signal.aborted) throw error;
          done.push({ ok: false, error });
        }
      }
      return done;
    },
  };
}
