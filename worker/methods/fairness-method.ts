import type { Split } from '../datasets/index.js';
import { loadTrialData } from './memory-guard.js';
import { fitSteering, steer } from '../training/gaussian-steering.js';
import { disposeMlp } from '../training/mlp.js';
import { applyTrigger, trainTrigger } from '../training/reprogram.js';
import { trainMlp } from '../training/trainer.js';
import { mlpToArrays } from '../training/weights.js';
import { reprogramParams, steerParams } from '../../catalog/methods/fairness-params.js';
import type { MethodImpl } from './types.js';
import { withParams } from './method-params.js';
import { runReprogramPack, runSteerPack, scoreView } from './fairness-pack.js';

/**
 * `steer`: fits the optimal affine steering maps on the training features (groups = the sensitive
 * attribute), steers every split with strength t (each row by its own group's map), retrains the
 * classifier on the steered training features and scores the steered splits. Retraining (rather than
 * re-evaluating a model fitted on unsteered data) is what the guarantee is about: a classifier
 * trained on the ideal distribution has group-independent decisions.
 */
export const steerImpl: MethodImpl = { ...withParams(steerParams, async (p, input, rt) => {
  const data = loadTrialData(input, rt);
  const maps = fitSteering(data.train.x, data.dim, data.train.attribute, p.ridge);
  const view = (s: Split): Split => ({ ...s, x: steer(maps, s.x, s.attribute, p.strength) });
  const { tf } = await rt.backend();
  const trained = await trainMlp(tf, data.dim, data.environments.map(view), { steps: p.steps, lr: p.lr, l2: p.l2, hidden: p.hidden, seed: input.seed, objective: { kind: 'erm' }, signal: rt.signal, heartbeat: rt.heartbeat });
  try {
    return await scoreView(rt, trained.model, data, view);
  } finally {
    disposeMlp(trained.model);
  }
}), runPack: runSteerPack };

/** `reprogram`: an ERM model, frozen; a fairness trigger δ trained min-max; scored on x + δ. */
export const reprogramImpl: MethodImpl = { ...withParams(reprogramParams, async (p, input, rt) => {
  const data = loadTrialData(input, rt);
  const { tf } = await rt.backend();
  const base = await trainMlp(tf, data.dim, data.environments, { steps: p.steps, lr: p.lr, l2: p.l2, hidden: p.hidden, seed: input.seed, objective: { kind: 'erm' }, signal: rt.signal, heartbeat: rt.heartbeat });
  try {
    const arrays = await mlpToArrays(base.model);
    const r = await trainTrigger(tf, arrays, data.train, { lambda: p.lambda, steps: p.trigger_steps, lr: p.trigger_lr, discHidden: p.disc_hidden, seed: input.seed, signal: rt.signal, heartbeat: rt.heartbeat });
    const out = await scoreView(rt, base.model, data, (s) => applyTrigger(s, data.dim, r.trigger));
    out.metrics['train/discriminator_loss'] = r.discriminatorLoss;
    out.metrics['trigger/norm'] = Math.hypot(...r.trigger);
    return out;
  } finally {
    disposeMlp(base.model);
  }
}), runPack: runReprogramPack };
