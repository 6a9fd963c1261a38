import { loadDataset } from '../datasets/index.js';
import { disposeMlp } from '../training/mlp.js';
import { predictProba, trainMlp, type TrainObjective } from '../training/trainer.js';
import { splitMetrics } from '../training/evaluate.js';
import type { MethodImpl, TrialInput, TrialOutput, TrialRuntime } from './types.js';
import type { ErmParams, IrmParams } from './training-params.js';

/** Trains an MLP with `objective(params)` on the training environments and scores train, val and test. */
function mlpMethod(objective: (p: IrmParams) => TrainObjective): MethodImpl {
  return {
    async run(input: TrialInput, rt: TrialRuntime): Promise<TrialOutput> {
      const p = input.params as unknown as IrmParams;
      const data = loadDataset(input.dataset.name, input.dataset.options, input.seed);
      const { tf } = await rt.backend();
      const trained = await trainMlp(tf, data.dim, data.environments, {
        steps: p.steps,
        lr: p.lr,
        l2: p.l2,
        hidden: p.hidden,
        seed: input.seed,
        objective: objective(p),
        signal: rt.signal,
        heartbeat: rt.heartbeat,
      });
      try {
        const metrics: Record<string, number> = { 'train/loss': trained.loss, 'train/penalty': trained.penalty };
        const groupMetrics: TrialOutput['groupMetrics'] = [];
        for (const [name, split] of [['train', data.train], ['val', data.val], ['test', data.test]] as const) {
          const s = splitMetrics(name, split, await predictProba(tf, trained.model, split, data.dim));
          Object.assign(metrics, s.metrics);
          groupMetrics.push(...s.groups);
        }
        return { metrics, groupMetrics };
      } finally {
        disposeMlp(trained.model);
      }
    },
  };
}

export const ermImpl = mlpMethod(() => ({ kind: 'erm' }));
export const irmImpl = mlpMethod((p) => ({ kind: 'irm', penaltyWeight: p.penalty_weight, annealIters: p.penalty_anneal_iters }));
export type { ErmParams };
