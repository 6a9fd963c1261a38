import { canonicalJson } from '../../proto/index.js';
import { reportedSplits, type Dataset, type Split } from '../datasets/index.js';
import { loadTrialData } from './memory-guard.js';
import { splitMetrics } from '../training/evaluate.js';
import { fitSteering, steer } from '../training/gaussian-steering.js';
import { disposeMlp, type Mlp } from '../training/mlp.js';
import { applyTrigger, trainTrigger } from '../training/reprogram.js';
import { predictProba } from '../training/trainer.js';
import { trainMlpPacked } from '../training/packed-trainer.js';
import { mlpToArrays } from '../training/weights.js';
import { reprogramParams, steerParams } from '../../catalog/methods/fairness-params.js';
import type { PackOutcome, TrialInput, TrialOutput, TrialRuntime } from './types.js';
import { runMembers, scoreEach } from './pack-members.js';

/** Metrics of `model` on train, val and test (each split transformed by `view` first). */
export async function scoreView(rt: TrialRuntime, model: Mlp, data: Dataset, view: (s: Split) => Split): Promise<TrialOutput> {
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

/** `steer` trials of one strength and ridge (their pack key): the maps fitted and the splits steered once, the classifiers trained as one pack. */
export function runSteerPack(inputs: readonly TrialInput[], rt: TrialRuntime): Promise<PackOutcome[]> {
  return runMembers(steerParams, inputs, async (members) => {
    const [first] = members;
    if (!first) return [];
    const p = first.params;
    const data = loadTrialData(first.input, rt);
    const maps = fitSteering(data.train.x, data.dim, data.train.attribute, p.ridge);
    const view = (s: Split): Split => ({ ...s, x: steer(maps, s.x, s.attribute, p.strength) });
    const { tf } = await rt.backend();
    const trained = await trainMlpPacked(tf, data.dim, data.environments.map(view), { steps: p.steps, hidden: p.hidden, signal: rt.signal, heartbeat: rt.heartbeat },
      members.map((m) => ({ lr: m.params.lr, l2: m.params.l2, seed: first.input.seed, objective: { kind: 'erm' } })));
    return scoreEach(trained, (r) => scoreView(rt, r.model, data, view));
  });
}

/**
 * `reprogram` trials of one seed, steps and widths (their pack key): the distinct base models (by lr
 * and l2; trials differing only in their trigger share one) trained as one pack, then each trial's
 * trigger trained against its base, one after another.
 */
export function runReprogramPack(inputs: readonly TrialInput[], rt: TrialRuntime): Promise<PackOutcome[]> {
  return runMembers(reprogramParams, inputs, async (members) => {
    const [first] = members;
    if (!first) return [];
    const data = loadTrialData(first.input, rt);
    const { tf } = await rt.backend();
    const seed = first.input.seed;
    const baseKeys = [...new Set(members.map((m) => canonicalJson([m.params.lr, m.params.l2])))];
    const baseOf = members.map((m) => baseKeys.indexOf(canonicalJson([m.params.lr, m.params.l2])));
    const bases = await trainMlpPacked(tf, data.dim, data.environments, { steps: first.params.steps, hidden: first.params.hidden, signal: rt.signal, heartbeat: rt.heartbeat },
      baseKeys.map((_, b) => {
        const m = members[baseOf.indexOf(b)] ?? first;
        return { lr: m.params.lr, l2: m.params.l2, seed, objective: { kind: 'erm' } };
      }));
    try {
      const out: PackOutcome[] = [];
      for (const [i, m] of members.entries()) {
        const base = bases[baseOf[i] ?? -1];
        if (!base) throw new Error(`reprogram pack: no base model for trial ${m.input.trialId}`);
        if (!base.ok) {
          out.push({ ok: false, error: base.error });
          continue;
        }
        try {
          const p = m.params;
          const r = await trainTrigger(tf, await mlpToArrays(base.result.model), data.train, { lambda: p.lambda, steps: p.trigger_steps, lr: p.trigger_lr, discHidden: p.disc_hidden, seed, signal: rt.signal, heartbeat: rt.heartbeat });
          const output = await scoreView(rt, base.result.model, data, (s) => applyTrigger(s, data.dim, r.trigger));
          output.metrics['train/discriminator_loss'] = r.discriminatorLoss;
          output.metrics['trigger/norm'] = Math.hypot(...r.trigger);
          out.push({ ok: true, output });
        } catch (error) {
          out.push({ ok: false, error });
        }
      }
      return out;
    } finally {
      for (const b of bases) if (b.ok) disposeMlp(b.result.model);
    }
  });
}
