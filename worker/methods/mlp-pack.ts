import type * as tfType from '@tensorflow/tfjs';
import type { z } from 'zod';
import { reportedSplits, type Dataset, type Split } from '../datasets/index.js';
import { loadTrialData } from './memory-guard.js';
import { predictProba, type TrainObjective, type TrainResult } from '../training/trainer.js';
import { trainMlpPacked } from '../training/packed-trainer.js';
import { environmentAccuracies, splitMetrics } from '../training/evaluate.js';
import type { ErmParams } from '../../catalog/methods/training-params.js';
import type { PackOutcome, TrialInput, TrialOutput, TrialRuntime } from './types.js';
import { runMembers, scoreEach } from './pack-members.js';

/** What an MLP method trains on: the objective and the training environments. */
export interface Plan {
  objective: TrainObjective;
  environments: readonly Split[];
}

/** The metrics of a trained MLP: train loss and penalty, then every reported split (and train's environments). */
export async function scoreMlp(tf: typeof tfType, trained: TrainResult, data: Dataset): Promise<TrialOutput> {
  const metrics: Record<string, number> = { 'train/loss': trained.loss, 'train/penalty': trained.penalty };
  const groupMetrics: TrialOutput['groupMetrics'] = [];
  for (const [name, split] of reportedSplits(data)) {
    const proba = await predictProba(tf, trained.model, split, data.dim);
    const s = splitMetrics(name, split, proba);
    Object.assign(metrics, s.metrics);
    groupMetrics.push(...s.groups);
    if (name === 'train') Object.assign(metrics, environmentAccuracies(data.environments, proba));
  }
  return { metrics, groupMetrics };
}

/**
 * Trials of one MLP method with equal pack keys trained as one pack (trainMlpPacked): the dataset is
 * loaded once and the training environments planned once (equal keys mean equal rows); each trial
 * keeps its objective, learning rate, L2 and initialisation, and is scored alone. A trial that
 * diverges fails alone.
 */
export function runMlpPack<S extends z.ZodType<ErmParams>>(schema: S, plan: (p: z.output<S>, data: Dataset, seed: number) => Plan, inputs: readonly TrialInput[], rt: TrialRuntime): Promise<PackOutcome[]> {
  return runMembers(schema, inputs, async (members) => {
    const [first] = members;
    if (!first) return [];
    const data = loadTrialData(first.input, rt);
    const seed = first.input.seed;
    const { environments } = plan(first.params, data, seed);
    const { tf } = await rt.backend();
    const trained = await trainMlpPacked(tf, data.dim, environments, { steps: first.params.steps, hidden: first.params.hidden, signal: rt.signal, heartbeat: rt.heartbeat },
      members.map((m) => ({ lr: m.params.lr, l2: m.params.l2, seed, objective: plan(m.params, data, seed).objective })));
    return scoreEach(trained, (r) => scoreMlp(tf, r, data));
  });
}
