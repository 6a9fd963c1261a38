import { WorkerStateError } from '../errors.js';

/**
 * A worker's states:
 * - starting: connecting, loading its backend; takes no shard yet;
 * - running: fetching and running shards;
 * - draining: fetches nothing more; running shards finish (or are handed back), held ones are returned;
 * - stopped: disconnected. Final.
 */
export type WorkerState = 'starting' | 'running' | 'draining' | 'stopped';

/** The transitions a worker may make; a failed start drains what it had set up. */
const NEXT: Readonly<Record<WorkerState, readonly WorkerState[]>> = {
  starting: ['running', 'draining'],
  running: ['draining'],
  draining: ['stopped'],
  stopped: [],
};

/** The worker state machine: starting → running → draining → stopped, and nothing else. */
export class WorkerLifecycle {
  private current: WorkerState = 'starting';

  /** `onEnter` runs after each transition (the worker announces its new state). */
  constructor(private readonly onEnter: (state: WorkerState) => void = () => undefined) {}

  get state(): WorkerState {
    return this.current;
  }

  /** Running: the only state in which shards are fetched and started. */
  get accepting(): boolean {
    return this.current === 'running';
  }

  /** Starting or running: not yet asked to stop. */
  get active(): boolean {
    return this.current === 'starting' || this.current === 'running';
  }

  /** Moves to `next`; throws WorkerStateError when the current state cannot lead there. */
  to(next: WorkerState): void {
    if (!NEXT[this.current].includes(next)) throw new WorkerStateError(`worker state: cannot go from ${this.current} to ${next}`);
    this.current = next;
    this.onEnter(next);
  }
}
