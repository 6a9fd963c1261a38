import type * as tfType from '@tensorflow/tfjs';
import { TrialFailedError, throwIfCancelled } from '../errors.js';
import type { Split } from '../datasets/index.js';
import { objectiveTerms, type TrainObjective } from './objectives.js';
import { poolEnvironments } from './pooled-rows.js';
import { mlpFromArrays, type MlpArrays } from './weights.js';
import { createMlp, disposeMlp, forward, hiddenFeatures, l2Norm, mlpVariables, outputLayer, type Mlp } from './mlp.js';
import { at } from '../checked-access.js';

type TF = typeof tfType;

export type { TrainObjective } from './objectives.js';

export interface TrainOptions {
  steps: number;
  lr: number;
  l2: number;
  hidden: readonly number[];
  seed: number;
  objective: TrainObjective;
  signal: AbortSignal;
  heartbeat(): void;
  /** Start from these parameters (fine-tuning) instead of a fresh initialisation; `hidden` must match. */
  initial?: MlpArrays;
  /** Called with the current model after every `every` steps (not after the last): progress reports for early stopping. */
  onEval?: { every: number; report(step: number, model: Mlp): Promise<void> };
}

export interface TrainResult {
  model: Mlp;
  /** Final value of the minimised objective (before the divide-by-w rescaling). */
  loss: number;
  /** Final mean IRMv1 penalty over environments (also reported for ERM). */
  penalty: number;
}

/** Steps between divergence checks (a read-back from the backend). */
const CHECK_EVERY = 25;
/** Steps between yields to the event loop (NATS heartbeats, cancellation). */
const YIELD_EVERY = 5;

/**
 * Full-batch Adam on the training environments. All environments go through the network in one
 * batched forward pass (one fused matMul chain over the concatenated rows); per-environment risks
 * and penalties are taken from row slices of the logits. Every step runs inside tf.tidy; the
 * returned model is the caller's to dispose.
 */
export async function trainMlp(tf: TF, dim: number, environments: readonly Split[], o: TrainOptions): Promise<TrainResult> {
  const { n, x: xAll, y: yAll, ranges } = poolEnvironments(environments, dim);
  const x = tf.tensor2d(xAll, [n, dim]);
  const y = tf.tensor2d(yAll, [n, 1]);
  const w = o.objective.kind === 'erm' ? o.objective.weights : undefined;
  if (w && w.length !== n) throw new TrialFailedError(`sample weights: expected ${n} (one per training row), got ${w.length}`);
  const weights = w ? tf.tensor2d(w, [n, 1]) : undefined;
  const model = o.initial ? mlpFromArrays(tf, o.initial, true) : createMlp(tf, dim, o.hidden, o.seed);
  const optimizer = tf.train.adam(o.lr);
  const vars = mlpVariables(model);
  let loss = NaN;
  let penalty = NaN;
  let ok = false;
  try {
    /** The objective at `step` and the mean penalty; `scaled` applies the divide-by-w rule. */
    const objective = (step: number, scaled: boolean): [tfType.Scalar, tfType.Scalar] => {
      const phi = hiddenFeatures(tf, model, x);
      const z = outputLayer(tf, model, phi);
      const terms = objectiveTerms(tf, o.objective, step, { z, phi, y, ranges, ...(weights ? { weights } : {}) });
      let total: tfType.Scalar = o.l2 > 0 ? tf.add(terms.loss, tf.mul(o.l2, l2Norm(tf, model))) : terms.loss;
      if (scaled && terms.scale !== 1) total = tf.mul(total, terms.scale);
      return [total, terms.penalty];
    };
    for (let step = 0; step < o.steps; step++) {
      tf.tidy(() => {
        optimizer.minimize(() => objective(step, true)[0], false, vars);
      });
      if (step % CHECK_EVERY === CHECK_EVERY - 1 || step === o.steps - 1) {
        const [l, pe] = tf.tidy(() => objective(step, false));
        loss = at(await l.data<'float32'>(), 0, 'loss');
        penalty = at(await pe.data<'float32'>(), 0, 'penalty');
        l.dispose();
        pe.dispose();
        if (!Number.isFinite(loss)) throw new TrialFailedError(`loss diverged at step ${step + 1} (loss=${loss}); lower lr or penalty_weight`);
        o.heartbeat();
      }
      const done = step + 1;
      if (o.onEval && o.onEval.every > 0 && done % o.onEval.every === 0 && done < o.steps) await o.onEval.report(done, model);
      if (step % YIELD_EVERY === 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        throwIfCancelled(o.signal);
      }
    }
    ok = true;
    return { model, loss, penalty };
  } finally {
    x.dispose();
    y.dispose();
    weights?.dispose();
    optimizer.dispose();
    if (!ok) disposeMlp(model);
  }
}

/** P(y = 1) for every row of a split. */
export async function predictProba(tf: TF, model: Mlp, split: Split, dim: number): Promise<Float32Array> {
  const p = tf.tidy(() => tf.sigmoid(forward(tf, model, tf.tensor2d(split.x, [split.n, dim]))));
  try {
    return await p.data<'float32'>();
  } finally {
    p.dispose();
  }
}
