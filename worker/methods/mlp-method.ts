import { reportedSplits, type Dataset } from '../datasets/index.js';
import { loadTrialData } from './memory-guard.js';
import { disposeMlp, type Mlp } from '../training/mlp.js';
import type { Backend } from '../backend-types.js';
import { predictProba, trainMlp } from '../training/trainer.js';
import { splitMetrics } from '../training/evaluate.js';
import { runMlpPack, scoreMlp, type Plan } from './mlp-pack.js';
import { balancedSubsample, balancingWeights } from '../training/balancing.js';
import type { z } from 'zod';
import type { MethodImpl, TrialOutput } from './types.js';
import { withParams } from './method-params.js';
import {
  balancingParams, ermParams, groupBalancingParams, ibIrmParams, irmExtrapolatedParams, irmParams, vrexParams,
  type ErmParams, type IrmParams,
} from '../../catalog/methods/training-params.js';

/** Trains an MLP as `plan` says on the dataset and scores train, val and test; params parsed by `schema`. Packs (runMlpPack). */
function mlpMethod<S extends z.ZodType<ErmParams>>(schema: S, plan: (p: z.output<S>, data: Dataset, seed: number) => Plan): MethodImpl {
  const single = withParams(schema, async (p, input, rt): Promise<TrialOutput> => {
    const data = loadTrialData(input, rt);
    const { objective, environments } = plan(p, data, input.seed);
    const { tf } = await rt.backend();
    const trained = await trainMlp(tf, data.dim, environments, {
      steps: p.steps,
      lr: p.lr,
      l2: p.l2,
      hidden: p.hidden,
      seed: input.seed,
      objective,
      signal: rt.signal,
      heartbeat: rt.heartbeat,
      ...(p.eval_every > 0 && rt.progress ? { onEval: { every: p.eval_every, report: progressReporter(tf, data, rt.progress) } } : {}),
    });
    try {
      return await scoreMlp(tf, trained, data);
    } finally {
      disposeMlp(trained.model);
    }
  });
  return { run: single.run, runPack: (inputs, rt) => runMlpPack(schema, plan, inputs, rt) };
}

/**
 * Reports the validation metrics (`val/` and `trainval/`, as the trial's result would name them)
 * of the model being trained, for early stopping.
 */
function progressReporter(tf: Backend['tf'], data: Dataset, send: (step: number, metrics: Record<string, number>) => void) {
  return async (step: number, model: Mlp): Promise<void> => {
    const metrics: Record<string, number> = {};
    for (const [name, split] of reportedSplits(data)) {
      if (name !== 'val' && name !== 'trainval') continue;
      Object.assign(metrics, splitMetrics(name, split, await predictProba(tf, model, split, data.dim)).metrics);
    }
    send(step, metrics);
  };
}

const anneal = (p: IrmParams) => ({ penaltyWeight: p.penalty_weight, annealIters: p.penalty_anneal_iters });

export const ermImpl = mlpMethod(ermParams, (_p, d) => ({ objective: { kind: 'erm' }, environments: d.environments }));
export const irmImpl = mlpMethod(irmParams, (p, d) => ({ objective: { kind: 'irm', ...anneal(p) }, environments: d.environments }));
export const vrexImpl = mlpMethod(vrexParams, (p, d) => ({ objective: { kind: 'vrex', ...anneal(p) }, environments: d.environments }));
export const irmExtrapolatedImpl = mlpMethod(irmExtrapolatedParams, (p, d) => ({
  objective: { kind: 'irm-extrapolated', variant: p.variant, beta: p.beta, alpha: p.alpha, ...anneal(p) },
  environments: d.environments,
}));
export const ibIrmImpl = mlpMethod(ibIrmParams, (p, d) => ({
  objective: { kind: 'ib-irm', ...anneal(p), ibLambda: p.ib_lambda, ibAnnealIters: p.ib_penalty_anneal_iters },
  environments: d.environments,
}));
/** Weighted ERM over the pooled training rows (the trainer concatenates environments in order, as `train` is). */
export const reweightImpl = mlpMethod(balancingParams, (p, d) => ({ objective: { kind: 'erm', weights: balancingWeights(d.train, p.balance) }, environments: d.environments }));
export const subsampleImpl = mlpMethod(balancingParams, (p, d, seed) => ({ objective: { kind: 'erm' }, environments: [balancedSubsample(d.train, d.dim, p.balance, seed)] }));
/** `group-balancing`: ERM, reweighting or subsampling by the `strategy` param. */
export const groupBalancingImpl = mlpMethod(groupBalancingParams, (p, d, seed) => {
  if (p.strategy === 'reweight') return { objective: { kind: 'erm', weights: balancingWeights(d.train, p.balance) }, environments: d.environments };
  if (p.strategy === 'subsample') return { objective: { kind: 'erm' }, environments: [balancedSubsample(d.train, d.dim, p.balance, seed)] };
  return { objective: { kind: 'erm' }, environments: d.environments };
});
