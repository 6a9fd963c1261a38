import type { TrialResult } from '../../proto/index.js';
import type { PlannedShard, ValidatedSpec } from '../spec/index.js';
import { SweepSearch } from './sweep-search.js';

/** What the adaptive searches need from the coordinator. */
export interface AdaptiveSweepsHost {
  /** Queues shards of a running sweep (message id = shard id); does nothing for a sweep that ended. */
  publish(sweepId: string, shards: readonly PlannedShard[]): Promise<void>;
  /** Ids of the sweep's shards still stored on the work queue. */
  storedShardIds(sweepId: string): Promise<ReadonlySet<string>>;
  /** A publish that failed; it is tried again by `retry`. */
  warn(message: string, fields: Record<string, string>): void;
}

/**
 * The coordinator's adaptive searches, by sweep id: the narrow surface its lifecycle hooks call.
 * `add` on submit, and after a restart for each unfinished adaptive sweep before the results
 * stream is replayed, each replayed result through `onResult`, then `resume` once the replay has
 * caught up. Until `resume`, results only rebuild the searches; after it, each result that allows
 * the next batch publishes its shards.
 */
export class AdaptiveSweeps {
  private readonly searches = new Map<string, SweepSearch>();
  private live = false;
  /** Sweeps whose last publish failed: `retry` publishes what they lack. */
  private readonly toRetry = new Set<string>();

  constructor(private readonly host: AdaptiveSweepsHost) {}

  has(sweepId: string): boolean {
    return this.searches.has(sweepId);
  }

  /**
   * A sweep just submitted, or a stored unfinished one being rebuilt (its results are told next):
   * returns the shards of its first batches, the same as planSweep's, or [] when the spec has no
   * adaptive search.
   */
  add(sweepId: string, spec: ValidatedSpec): PlannedShard[] {
    const search = SweepSearch.of(sweepId, spec);
    if (!search) return [];
    this.searches.set(sweepId, search);
    return search.ask();
  }

  /** A result recorded for the first time. */
  onResult(r: TrialResult): void {
    const search = this.searches.get(r.sweepId);
    if (!search) return;
    const shards = search.tell(r);
    if (shards.length > 0 && this.live) this.publish(r.sweepId, shards);
  }

  /**
   * After the replay: publishes, for every search, the proposals without all their results whose
   * shard is no longer stored (asked from results the previous coordinator had not acted on).
   */
  async resume(): Promise<void> {
    this.live = true;
    for (const id of this.searches.keys()) await this.republish(id);
  }

  /** Publishes again what the sweeps whose publish failed lack. */
  async retry(): Promise<void> {
    for (const id of [...this.toRetry]) {
      this.toRetry.delete(id);
      await this.republish(id);
    }
  }

  /** A sweep that ended: its search is dropped. */
  forget(sweepId: string): void {
    this.searches.delete(sweepId);
    this.toRetry.delete(sweepId);
  }

  private async republish(sweepId: string): Promise<void> {
    const search = this.searches.get(sweepId);
    if (!search) return;
    try {
      const stored = await this.host.storedShardIds(sweepId);
      const missing = search.unfinished().filter((s) => !stored.has(s.id));
      if (missing.length > 0) await this.host.publish(sweepId, missing);
    } catch (err) {
      this.toRetry.add(sweepId);
      this.host.warn('could not publish the next proposals of an adaptive search; will retry', { sweep: sweepId, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private publish(sweepId: string, shards: readonly PlannedShard[]): void {
    this.host.publish(sweepId, shards).catch((err: unknown) => {
      this.toRetry.add(sweepId);
      this.host.warn('could not publish the next proposals of an adaptive search; will retry', { sweep: sweepId, error: err instanceof Error ? err.message : String(err) });
    });
  }
}
