import { Goal, type Objective, type SweepRecord } from '../../proto/index.js';
import { parseSpecText } from '../spec/index.js';

/** What a configuration frontier of a sweep ranks on: the spec's objectives with their aggregates, and its selection. */
export interface SweepProtocol {
  objectives: Objective[];
  /** SweepSpec.selection; empty: none. */
  selection: string;
}

/** Spec text that names a selection or an aggregate: only then can a record's spec message lack what the text says. */
const NAMES_PROTOCOL = /\b(selection|aggregate)\s*:/;

const recovered = new WeakMap<object, SweepProtocol>();

/**
 * The protocol of a stored sweep. A record written before SweepSpec carried `selection` and
 * Objective carried `aggregate` has them only in its spec text: it is parsed once (cached per
 * spec message) when it names either; a text that no longer parses leaves the message as it is.
 */
export function sweepProtocol(record: Pick<SweepRecord, 'spec' | 'specYaml'>): SweepProtocol {
  const spec = record.spec;
  const stored: SweepProtocol = { objectives: spec?.objectives ?? [], selection: spec?.selection ?? '' };
  const complete = stored.selection !== '' || stored.objectives.some((o) => o.aggregate !== '');
  if (!spec || complete || !NAMES_PROTOCOL.test(record.specYaml)) return stored;
  const cached = recovered.get(spec);
  if (cached) return cached;
  let protocol = stored;
  try {
    const parsed = parseSpecText(record.specYaml, { maxTrials: Number.POSITIVE_INFINITY, maxTrialMemoryMb: Number.POSITIVE_INFINITY });
    protocol = {
      objectives: parsed.objectives.map((o) => ({ metric: o.metric, goal: o.goal === 'min' ? Goal.GOAL_MIN : Goal.GOAL_MAX, aggregate: o.aggregate ?? '' })),
      selection: parsed.selection ?? '',
    };
  } catch {
    // The coordinator accepted this text once; if this version reads it otherwise, rank as the message says.
  }
  recovered.set(spec, protocol);
  return protocol;
}
