import { reportedSplits, type Dataset, type Split } from '../datasets/index.js';
import { loadTrialData } from './memory-guard.js';
import { splitMetrics } from '../training/evaluate.js';
import { fitSteering, steer } from '../training/gaussian-steering.js';
import { disposeMlp, type Mlp } from '../training/mlp.js';
import { applyTrigger, trainTrigger } from '../training/reprogram.js';
import { predictProba, trainMlp } from '../training/trainer.js';
import { mlpToArrays } from '../training/weights.js';
import { reprogramParams, steerParams } from '../../catalog/methods/fairness-params.js';
import type { MethodImpl, TrialOutput, TrialRuntime } from './types.js';
import { withParams } from './method-params.js';

/** Metrics of `model` on train, val and test (each split transformed by `view` first). */
async function score(rt: TrialRuntime, model: Mlp, data: Dataset, view: (s: Split) => Split): Promise<TrialOutput> {
  const { tf } = await rt.backend();
  const metrics: Record<string, number> = {};
  const groupMetrics: TrialOutput['groupMetrics'] = [];
  for (const [name, split] of reportedSplits(data)) {
    const v = view(split);
    const s = splitMetrics(name, split, await predictProba(tf, model, v, data.dim));
    Object.assign(metrics, s.metrics);
    groupMetrics.push(...s.groups);
  }
  return { metrics, groupMetrics };
}

/**
 * `steer`: fits the optimal affine steering maps on the training features (groups = the sensitive
 * attribute), steers every split with strength t (each row by its own group's map), retrains the
 * classifier on the steered training features and scores the steered splits. Retraining (rather than
 * re-evaluating a model fitted on unsteered data) is what the guarantee is about: a classifier
 * trained on the ideal distribution has group-independent decisions.
 */
export const steerImpl: MethodImpl = withParams(steerParams, async (p, input, rt) => {
  const data = loadTrialData(input, rt);
  const maps = fitSteering(data.train.x, data.dim, data.train.attribute, p.ridge);
  const view = (s: Split): Split => ({ ...s, x: steer(maps, s.x, s.attribute, p.strength) });
  const { tf } = await rt.backend();
  const trained = await trainMlp(tf, data.dim, data.environments.map(view), { steps: p.steps, lr: p.lr, l2: p.l2, hidden: p.hidden, seed: input.seed, objective: { kind: 'erm' }, signal: rt.signal, heartbeat: rt.heartbeat });
  try {
    return await score(rt, trained.model, data, view);
  } finally {
    disposeMlp(trained.model);
  }
});

/** `reprogram`: an ERM model, frozen; a fairness trigger δ trained min-max; scored on x + δ. */
export const reprogramImpl: MethodImpl = withParams(reprogramParams, async (p, input, rt) => {
  const data = loadTrialData(input, rt);
  const { tf } = await rt.backend();
  const base = await trainMlp(tf, data.dim, data.environments, { steps: p.steps, lr: p.lr, l2: p.l2, hidden: p.hidden, seed: input.seed, objective: { kind: 'erm' }, signal: rt.signal, heartbeat: rt.heartbeat });
  try {
    const arrays = await mlpToArrays(base.model);
    const r = await trainTrigger(tf, arrays, data.train, { lambda: p.lambda, steps: p.trigger_steps, lr: p.trigger_lr, discHidden: p.disc_hidden, seed: input.seed, signal: rt.signal, heartbeat: rt.heartbeat });
    const out = await score(rt, base.model, data, (s) => applyTrigger(s, data.dim, r.trigger));
    out.metrics['train/discriminator_loss'] = r.discriminatorLoss;
    out.metrics['trigger/norm'] = Math.hypot(...r.trigger);
    return out;
  } finally {
    disposeMlp(base.model);
  }
});
