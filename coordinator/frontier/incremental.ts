import { defaultReference, dominates, hypervolume2d, isComplete, paretoFront, type Candidate, type Goal } from './pareto.js';

/**
 * A frontier updated as results arrive. A candidate dominated by the current front is rejected
 * after a scan of the front; otherwise it enters and evicts what it dominates. Equal to
 * `paretoFront` of everything added.
 */
export class IncrementalFrontier<T> {
  private front: { o: number[]; c: Candidate<T> }[] = [];
  private readonly worst: number[];
  private seen = 0;

  constructor(private readonly goals: readonly Goal[]) {
    this.worst = goals.map((g) => (g === 'max' ? Infinity : -Infinity));
  }

  get size(): number {
    return this.front.length;
  }

  /** Adds a candidate; true when the frontier changed. */
  add(c: Candidate<T>): boolean {
    // The default reference takes every finite value, of incomplete rows too, as `defaultReference`
    // does for the Frontier call: progress and frontier report the same hypervolume.
    this.goals.forEach((g, i) => {
      const v = c.values[i];
      if (v === undefined || !Number.isFinite(v)) return;
      this.worst[i] = g === 'max' ? Math.min(this.worst[i] as number, v) : Math.max(this.worst[i] as number, v);
    });
    if (!isComplete(c.values, this.goals.length)) return false;
    this.seen++;
    const o = c.values.map((v, i) => (this.goals[i] === 'min' ? -v : v));
    if (this.front.some((f) => dominates(f.o, o))) return false;
    this.front = this.front.filter((f) => !dominates(o, f.o));
    this.front.push({ o, c });
    return true;
  }

  /** The frontier rows, in `paretoFront`'s order. */
  rows(): Candidate<T>[] {
    return paretoFront(this.front.map((f) => f.c), this.goals);
  }

  /** 2-D hypervolume (null for other dimensions or an empty front); reference defaults to the worst values seen. */
  hypervolume(reference?: readonly number[]): number | null {
    if (this.goals.length !== 2 || this.front.length === 0) return null;
    const ref = reference ?? this.worst.map((w) => (Number.isFinite(w) ? w : 0));
    return hypervolume2d(this.front.map((f) => [f.c.values[0] as number, f.c.values[1] as number] as const), [this.goals[0] as Goal, this.goals[1] as Goal], [ref[0] as number, ref[1] as number]);
  }
}

export { defaultReference };
