import { Rng } from '../../common/random.js';

/** A finished proposal: its point in the unit cube and its objective values, all to be minimised. */
export interface Observation {
  readonly u: readonly number[];
  /** Undefined when the trial failed or reported no value for an objective: worse than any point. */
  readonly values: readonly number[] | undefined;
}

/** What an algorithm is asked: the proposals of batch `batch`, given what is known. */
export interface AskRequest {
  readonly seed: number;
  /** Index of the batch being proposed (0, 1, ...). */
  readonly batch: number;
  /** Proposals wanted. */
  readonly count: number;
  /** Dimensions of the unit cube. */
  readonly dims: number;
  /** Every finished proposal the batch may depend on, in proposal order. */
  readonly observations: readonly Observation[];
  /** Proposals made but not yet known to have finished, in proposal order. */
  readonly pending: readonly (readonly number[])[];
}

/**
 * A search algorithm: a pure function from (seed, batch index, observations, pending) to `count`
 * points of [0, 1)^dims. Same request, same points: a coordinator that restarts asks again and
 * gets the proposals it made before.
 */
export interface SearchAlgorithm {
  readonly name: string;
  ask(req: AskRequest): number[][];
}

/**
 * The random stream of proposal `index` of batch `batch`: derived from the three numbers only, so
 * one proposal's draws never depend on how many draws another made.
 */
export function proposalRng(seed: number, batch: number, index: number): Rng {
  let h = Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
  h = Math.imul(h ^ (batch + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (index + 0x2c1b3c6d), 0xc2b2ae35) >>> 0;
  return new Rng((h ^ (h >>> 16)) >>> 0);
}

/** A uniform point of [0, 1)^dims. */
export function uniformPoint(rng: Rng, dims: number): number[] {
  return Array.from({ length: dims }, () => rng.next());
}
