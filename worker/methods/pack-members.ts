import type { z } from 'zod';
import { canonicalJson } from '../../proto/index.js';
import { parseTrialParams } from './method-params.js';
import type { PackOutcome, TrialInput, TrialOutput } from './types.js';
import type { PackedOutcome } from '../training/packed-trainer.js';
import type { TrainResult } from '../training/trainer.js';
import { disposeMlp } from '../training/mlp.js';
import { TrialFailedError } from '../errors.js';

/** One trial of a pack whose params parsed: its place in the pack's inputs. */
export interface PackMember<P> {
  index: number;
  input: TrialInput;
  params: P;
}

/** What every trial of a pack must share besides its data: architecture and step count. */
interface Shared {
  steps: number;
  hidden: readonly number[];
}

/**
 * Runs a pack's trials whose params parse (`schema`) through `body`, which gets them in order and
 * answers one outcome each; a trial whose params do not parse fails alone with the error `run` gives
 * it. Every member must share the first one's seed (its dataset's rows), steps and hidden widths, as
 * equal pack keys promise: one that does not fails alone, naming what differs.
 */
export async function runMembers<S extends z.ZodType<Shared>>(
  schema: S,
  inputs: readonly TrialInput[],
  body: (members: PackMember<z.output<S>>[]) => Promise<PackOutcome[]>,
): Promise<PackOutcome[]> {
  const outcomes: PackOutcome[] = new Array<PackOutcome>(inputs.length);
  const members: PackMember<z.output<S>>[] = [];
  for (const [index, input] of inputs.entries()) {
    try {
      const params = parseTrialParams(schema, input.params);
      const first = members[0];
      const differs = first ? differsFrom(first, { input, params }) : undefined;
      if (differs) outcomes[index] = { ok: false, error: new TrialFailedError(`cannot pack with trial ${first?.input.trialId}: ${differs} differs (a pack shares its data, architecture and step count)`) };
      else members.push({ index, input, params });
    } catch (error) {
      outcomes[index] = { ok: false, error };
    }
  }
  if (members.length > 0) {
    const results = await body(members);
    members.forEach((m, i) => {
      outcomes[m.index] = results[i] ?? { ok: false, error: new Error(`pack answered ${results.length} outcomes for ${members.length} trials`) };
    });
  }
  return outcomes;
}

function differsFrom(a: { input: TrialInput; params: Shared }, b: { input: TrialInput; params: Shared }): string | undefined {
  if (a.input.seed !== b.input.seed) return 'seed';
  if (a.params.steps !== b.params.steps) return 'steps';
  if (canonicalJson(a.params.hidden) !== canonicalJson(b.params.hidden)) return 'hidden';
  if (a.input.dataset.name !== b.input.dataset.name || canonicalJson(a.input.dataset.options) !== canonicalJson(b.input.dataset.options)) return 'dataset';
  return undefined;
}

/**
 * Each packed trial's outcome scored by `score` (a model the trainer gave back is disposed after,
 * whatever happens): a trial that diverged or fails to score fails alone.
 */
export async function scoreEach(trained: readonly PackedOutcome[], score: (r: TrainResult, i: number) => Promise<TrialOutput>): Promise<PackOutcome[]> {
  const out: PackOutcome[] = [];
  try {
    for (const [i, t] of trained.entries()) {
      if (!t.ok) {
        out.push({ ok: false, error: t.error });
        continue;
      }
      try {
        out.push({ ok: true, output: await score(t.result, i) });
      } catch (error) {
        out.push({ ok: false, error });
      }
    }
    return out;
  } finally {
    for (const t of trained) if (t.ok) disposeMlp(t.result.model);
  }
}
