import { createHash } from 'node:crypto';
import { canonicalJson, TrialStatus, type Params, type TrialResult } from '../../proto/index.js';
import type { AdaptiveSpec, Objective, PlannedShard, PlannedTrial, ValidatedSpec } from '../spec/index.js';
import { trialId } from '../spec/trials.js';
import { AdaptiveSearch, type Proposal } from './adaptive-search.js';
import { proposalRng, uniformPoint } from './algorithm.js';
import { searchAlgorithm } from './algorithms.js';
import { UnitSpace } from './space.js';

/** Uniform redraws of a refused point before the discrete space is searched in order for an unused one. */
const REDRAWS = 64;

/** The search of a space with fewer distinct points than its budget cannot propose them all. */
export class SearchSpaceExhaustedError extends Error {
  override readonly name = 'SearchSpaceExhaustedError';
}

/** The shard of proposal `proposal`: its id is also its JetStream message id, so it is queued once. */
export function proposalShardId(sweepId: string, proposal: number): string {
  return `${sweepId}-p${proposal}`;
}

/**
 * One adaptive sweep's search, between the coordinator and AdaptiveSearch. Keying: proposal p of
 * the search is shard `<sweep>-p<p>` holding one trial per seed, trial s of it having index
 * p·|seeds| + s and the id of any trial, trialId(sweep, params, seed). Two proposals never share
 * params: a point whose params equal an earlier proposal's is redrawn (uniformly, from its own
 * stream; in a small discrete space, the first unused point in order). Proposals are deterministic given
 * the results (AdaptiveSearch), so a coordinator that restarts and replays the results stream plans
 * the same shards under the same ids: JetStream's message-id dedupe and the coordinator's
 * first-result-wins recording make a replay unable to add a trial.
 */
export class SweepSearch {
  private readonly search: AdaptiveSearch;
  private readonly space: UnitSpace;
  /** Seed results of proposals not yet told: proposal → (seed index → values or undefined). */
  private readonly partial = new Map<number, Map<number, readonly number[] | undefined>>();
  /** Canonical params of every proposal made. */
  private readonly used = new Set<string>();

  constructor(
    readonly sweepId: string,
    private readonly adaptive: AdaptiveSpec,
    private readonly fixed: Params,
    private readonly seeds: readonly number[],
    private readonly objectives: readonly Objective[],
  ) {
    this.space = new UnitSpace(adaptive.space);
    this.search = new AdaptiveSearch({
      algorithm: searchAlgorithm(adaptive.algorithm),
      seed: adaptive.seed,
      budget: adaptive.budget,
      batch: adaptive.batch,
      dims: this.space.dims,
      accept: (u) => {
        const key = canonicalJson(this.space.decode(u));
        if (this.used.has(key)) return false;
        this.used.add(key);
        return true;
      },
      replace: (u, attempt, batch, index) => (attempt <= REDRAWS ? uniformPoint(proposalRng(adaptive.seed + attempt * 7919, batch, index), u.length) : this.firstUnused()),
    });
  }

  /** The search of a validated adaptive spec; undefined for any other spec. */
  static of(sweepId: string, spec: ValidatedSpec): SweepSearch | undefined {
    return spec.adaptive ? new SweepSearch(sweepId, spec.adaptive, spec.params, spec.seeds, spec.objectives) : undefined;
  }

  get totalTrials(): number {
    return this.adaptive.budget * this.seeds.length;
  }

  get totalShards(): number {
    return this.adaptive.budget;
  }

  /** The shards of every proposal that can be made now (see AdaptiveSearch.ask). */
  ask(): PlannedShard[] {
    return this.search.ask().map((p) => this.shardOf(p));
  }

  /**
   * Records a trial's result; returns the shards that can be proposed now as a consequence. A
   * result of another sweep, of no proposal made, or whose id does not match its proposal is
   * ignored (and returns []).
   */
  tell(r: TrialResult): PlannedShard[] {
    if (r.sweepId !== this.sweepId) return [];
    const n = this.seeds.length;
    const p = Math.floor(r.index / n);
    const s = r.index % n;
    const proposal = this.search.proposal(p);
    if (!proposal || this.search.result(p) || r.trialId !== this.trialOf(proposal, s).id) return [];
    let seen = this.partial.get(p);
    if (!seen) this.partial.set(p, (seen = new Map()));
    if (seen.has(s)) return [];
    seen.set(s, r.status === TrialStatus.TRIAL_STATUS_OK ? this.lossOf(r.metrics) : undefined);
    if (seen.size < n) return [];
    this.partial.delete(p);
    const perSeed = [...seen.values()];
    const values = perSeed.every((v): v is readonly number[] => v !== undefined)
      ? this.objectives.map((_, i) => perSeed.reduce((acc, v) => acc + (v[i] as number), 0) / n)
      : undefined;
    this.search.tell(p, values);
    return this.ask();
  }

  /** Shards of every proposal made that has not every result yet, in proposal order. */
  unfinished(): PlannedShard[] {
    return this.search.proposed.filter((p) => !this.search.result(p.index)).map((p) => this.shardOf(p));
  }

  /** The first point, in mixed-radix order of the keys' values, whose params no proposal has (all keys discrete). */
  private firstUnused(): number[] {
    const levels = this.space.discreteLevels();
    if (levels.some((l) => l === undefined)) throw new SearchSpaceExhaustedError(`sweep ${this.sweepId}: no new point found after ${REDRAWS} draws`);
    const lists = levels.map((l) => l ?? []);
    const idx = new Array<number>(lists.length).fill(0);
    for (;;) {
      const u = lists.map((l, d) => l[idx[d] as number] as number);
      if (!this.used.has(canonicalJson(this.space.decode(u)))) return u;
      let d = 0;
      while (d < lists.length && (idx[d] = (idx[d] as number) + 1) === (lists[d] as number[]).length) idx[d++] = 0;
      if (d === lists.length) throw new SearchSpaceExhaustedError(`sweep ${this.sweepId}: every point of the space has been proposed`);
    }
  }

  /** Objective values to minimise (a maximised metric negated); undefined when one is missing or not finite. */
  private lossOf(metrics: Readonly<Record<string, number>>): readonly number[] | undefined {
    const v = this.objectives.map((o) => {
      const x = metrics[o.metric];
      return x === undefined || !Number.isFinite(x) ? undefined : o.goal === 'max' ? -x : x;
    });
    return v.every((x): x is number => x !== undefined) ? v : undefined;
  }

  private trialOf(p: Proposal, s: number): PlannedTrial {
    const params: Params = { ...this.fixed, ...this.space.decode(p.u) };
    const seed = this.seeds[s] as number;
    return { id: trialId(this.sweepId, params, seed), index: p.index * this.seeds.length + s, params, seed };
  }

  private shardOf(p: Proposal): PlannedShard {
    return { id: proposalShardId(this.sweepId, p.index), index: p.index, trials: this.seeds.map((_, s) => this.trialOf(p, s)) };
  }
}
