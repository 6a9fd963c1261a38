import type { Observation, SearchAlgorithm } from './algorithm.js';

/** One proposal of a search: its number (the key of its trials) and its point of the unit cube. */
export interface Proposal {
  /** 0, 1, ... in the order proposed; batch = ⌊index / batch size⌋. */
  readonly index: number;
  readonly batch: number;
  readonly u: readonly number[];
}

export interface AdaptiveSearchOptions {
  algorithm: SearchAlgorithm;
  seed: number;
  /** Proposals in all. */
  budget: number;
  /** Proposals per batch. */
  batch: number;
  /** Dimensions of the unit cube. */
  dims: number;
  /**
   * Batches that may be unfinished at once [2]: batch k is asked once every batch ≤ k − inFlight has
   * finished, from exactly those batches' results, so workers never wait for the slowest trial of
   * the batch before (with 2, one batch runs while the next is already dispatched).
   */
  inFlight?: number;
  /**
   * Whether a point may be proposed (a coordinator refuses one whose params equal an earlier
   * proposal's: it would be the same trial). A refused point is replaced, deterministically, by
   * `replace(u, attempt)` for attempt 1, 2, ... until one is accepted.
   */
  accept?: (u: readonly number[]) => boolean;
  replace?: (u: readonly number[], attempt: number, batch: number, index: number) => number[];
}

/**
 * Drives an ask/tell search deterministically. Which results a batch sees is fixed by its number
 * (every proposal of batches ≤ k − inFlight, in proposal order), never by the order results arrive,
 * so the proposals are a function of (seed, results): a coordinator that restarts and tells the
 * stored results again, in any order, asks the same proposals under the same indices.
 */
export class AdaptiveSearch {
  private readonly proposals: Proposal[] = [];
  private readonly results = new Map<number, readonly number[] | undefined>();
  private readonly inFlight: number;

  constructor(private readonly o: AdaptiveSearchOptions) {
    if (!(Number.isInteger(o.budget) && o.budget >= 1)) throw new RangeError(`budget must be a positive integer, got ${o.budget}`);
    if (!(Number.isInteger(o.batch) && o.batch >= 1)) throw new RangeError(`batch must be a positive integer, got ${o.batch}`);
    this.inFlight = o.inFlight ?? 2;
    if (!(Number.isInteger(this.inFlight) && this.inFlight >= 1)) throw new RangeError(`inFlight must be a positive integer, got ${this.inFlight}`);
  }

  get batches(): number {
    return Math.ceil(this.o.budget / this.o.batch);
  }

  /** Every proposal made so far. */
  get proposed(): readonly Proposal[] {
    return this.proposals;
  }

  /** Proposals told a result. */
  get finished(): number {
    return this.results.size;
  }

  /** True when every proposal of the budget has a result. */
  get done(): boolean {
    return this.results.size === this.o.budget;
  }

  /** The proposal of an index, if made. */
  proposal(index: number): Proposal | undefined {
    return this.proposals[index];
  }

  /**
   * The proposals of every batch that may be asked now (none when the next batch still waits for
   * results, or the budget is spent). Calling it again without new results returns [].
   */
  ask(): Proposal[] {
    const out: Proposal[] = [];
    for (;;) {
      const k = Math.ceil(this.proposals.length / this.o.batch);
      if (k >= this.batches || !this.batchesFinished(k - this.inFlight)) return out;
      const first = k * this.o.batch;
      const count = Math.min(this.o.batch, this.o.budget - first);
      const seen = Math.max(0, k - this.inFlight + 1) * this.o.batch;
      const observations: Observation[] = this.proposals.slice(0, seen).map((p) => ({ u: p.u, values: this.results.get(p.index) }));
      const pending = this.proposals.slice(seen).map((p) => p.u);
      const points = this.o.algorithm.ask({ seed: this.o.seed, batch: k, count, dims: this.o.dims, observations, pending });
      if (points.length !== count) throw new RangeError(`${this.o.algorithm.name} proposed ${points.length} points for batch ${k}, expected ${count}`);
      points.forEach((proposed, j) => {
        let u = proposed;
        for (let attempt = 1; this.o.accept && !this.o.accept(u); attempt++) {
          if (!this.o.replace) throw new RangeError(`proposal ${first + j} refused and no replacement given`);
          u = this.o.replace(u, attempt, k, first + j);
        }
        const p: Proposal = { index: first + j, batch: k, u };
        this.proposals.push(p);
        out.push(p);
      });
    }
  }

  /**
   * Records the result of a proposal (values to minimise; undefined for a failed trial). Told
   * twice, the first result stands (a redelivered result changes nothing). Returns false for an
   * index not proposed or already told.
   */
  tell(index: number, values: readonly number[] | undefined): boolean {
    if (index < 0 || index >= this.proposals.length || this.results.has(index)) return false;
    this.results.set(index, values === undefined ? undefined : [...values]);
    return true;
  }

  /** The result told for a proposal, when there is one. */
  result(index: number): { values: readonly number[] | undefined } | undefined {
    return this.results.has(index) ? { values: this.results.get(index) } : undefined;
  }

  /** True when every proposal of batches 0..k has a result (true for k < 0). */
  private batchesFinished(k: number): boolean {
    const end = Math.min(this.o.budget, (k + 1) * this.o.batch);
    if (end <= 0) return true;
    if (this.proposals.length < end) return false;
    for (let i = 0; i < end; i++) if (!this.results.has(i)) return false;
    return true;
  }
}
