import type { JetStreamManager } from '@nats-io/jetstream';
import { SweepRecord } from '../../proto/index.js';
import { errorText, isNoAnswer, type Logger } from '../../common/index.js';
import { StoreFullError, STORE_FULL_HINT, asJetStreamFailure } from '../errors.js';
import type { Dispatcher, EncodedShard } from '../queue/dispatcher.js';
import { formatBytes, readStoreUsage, storedSize } from '../queue/store-usage.js';
import type { PlannedShard } from '../spec/index.js';
import type { RecordWriter } from './record-writer.js';
import type { SweepLifecycle } from './sweep-lifecycle.js';
import { replanShards } from '../spec/index.js';
import { recordSubject, type SweepStore } from './sweep-store.js';

/** What a dispatch (or a sweep that ended) left in JetStream that is still to be removed. */
interface Leftover {
  seqs: number[];
  /** The sweep's record goes too (a submit that failed); not for a sweep that stays, failed. */
  record: boolean;
}

/**
 * Puts a sweep's shards on the queue, all of them or none: its consumer, its record (dispatching)
 * and its shards, in that order; then the sweep is marked dispatched. A new sweep is refused before
 * anything is written when the store has visibly no room for it (StoreFullError); a dispatch that
 * fails midway is taken back (the shards it published, its consumer and, for a new sweep, its
 * record) before the error is thrown. What could not be taken back at once (JetStream did not
 * answer) is removed by `retry`.
 */
export class SweepDispatch {
  private readonly leftovers = new Map<string, Leftover>();

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly store: SweepStore,
    private readonly records: RecordWriter,
    private readonly jsm: JetStreamManager,
    private readonly replicas: number,
    private readonly log: Logger,
  ) {}

  /**
   * A new sweep: room checked, then everything written. Throws StoreFullError or
   * JetStreamUnavailableError (or the error as it came) once nothing of the sweep is left, or, when
   * JetStream does not answer, while what it left is removed in the background.
   */
  async submit(sweep: SweepLifecycle, planned: readonly PlannedShard[]): Promise<void> {
    const shards = this.encode(sweep, planned);
    await this.checkRoom(sweep, shards);
    const seqs: number[] = [];
    try {
      await this.write(sweep, shards, seqs);
    } catch (err) {
      throw await this.takeBack(sweep.id, { seqs, record: true }, err, `while sweep ${sweep.id} was being dispatched (${seqs.length} of ${shards.length} shards stored)`, 'nothing of it was kept');
    }
    await this.dispatched(sweep);
  }

  /**
   * A sweep whose dispatch was interrupted (a coordinator stopped midway): its shards published
   * again, JetStream dropping those it has. When that fails, its shards and consumer are removed
   * and the sweep fails with the reason (stored): false, and the caller goes on with the others.
   */
  async resume(sweep: SweepLifecycle): Promise<boolean> {
    const shards = this.encode(sweep, replanShards(sweep.id, sweep.record.specYaml, sweep.spec.shardSize));
    const seqs: number[] = [];
    try {
      await this.write(sweep, shards, seqs);
    } catch (err) {
      const failure = await this.takeBack(sweep.id, { seqs, record: false }, err, `while sweep ${sweep.id} was being dispatched again after a restart`, 'its shards were removed');
      this.log.error('sweep failed: its shards could not be queued again after a restart', { sweep: sweep.id, error: errorText(failure) });
      if (sweep.fail(Date.now(), `dispatch failed: ${errorText(failure)}`)) await this.records.put(sweep);
      return false;
    }
    await this.dispatched(sweep);
    return true;
  }

  /**
   * Every shard is queued: the sweep runs (its record stored, or kept by RecordWriter when JetStream
   * refuses it: the sweep exists with all its shards either way). Cancelled meanwhile: the shards
   * published after its purge go too.
   */
  private async dispatched(sweep: SweepLifecycle): Promise<void> {
    if (sweep.markDispatched()) await this.records.put(sweep);
    else if (sweep.phase === 'cancelled') await this.dispatcher.remove(sweep.id).catch(() => this.removeLater(sweep.id));
  }

  /** A sweep that no longer runs whose consumer and queued shards could not be removed: `retry` removes them. */
  removeLater(id: string): void {
    if (!this.leftovers.has(id)) this.leftovers.set(id, { seqs: [], record: false });
  }

  /** Removes what failed dispatches (and `removeLater`) left behind and could not be removed then. */
  async retry(): Promise<void> {
    for (const [id, leftover] of [...this.leftovers]) {
      try {
        await this.remove(id, leftover);
        this.leftovers.delete(id);
        this.log.info('removed what a failed dispatch left', { sweep: id });
      } catch (err) {
        this.log.debug('removing what a failed dispatch left failed; will retry', { sweep: id, error: errorText(err) });
      }
    }
  }

  private encode(sweep: SweepLifecycle, planned: readonly PlannedShard[]): EncodedShard[] {
    const spec = sweep.spec;
    return this.dispatcher.encode({
      sweepId: sweep.id,
      method: spec.method,
      ...(spec.dataset ? { dataset: spec.dataset } : {}),
      maxAttempts: spec.maxAttempts,
      pack: spec.pack,
      shards: planned,
    });
  }

  private async write(sweep: SweepLifecycle, shards: readonly EncodedShard[], seqs: number[]): Promise<void> {
    await this.dispatcher.ensureConsumer(sweep.id, sweep.spec.maxAttempts);
    await this.store.put(sweep.record);
    await this.dispatcher.publish(shards, seqs);
  }

  /**
   * Refuses the sweep with StoreFullError when the room left under a limit JetStream shows is
   * smaller than its shards and its record need (the record twice: dispatching, then dispatched).
   * The estimate counts every replica. Without a visible limit nothing is checked here: a full
   * store is then found out by the writes, and the dispatch taken back.
   */
  private async checkRoom(sweep: SweepLifecycle, shards: readonly EncodedShard[]): Promise<void> {
    let usage;
    try {
      usage = await readStoreUsage(this.jsm, this.replicas);
    } catch (err) {
      throw asJetStreamFailure(err, `while checking the room for sweep ${sweep.id}; nothing of it was kept`);
    }
    if (usage.freeBytes === undefined) return;
    const record = storedSize(recordSubject(sweep.id), SweepRecord.encode(sweep.record).finish().length);
    const need = this.replicas * (shards.reduce((sum, s) => sum + storedSize(s.subject, s.data.length, s.id), 0) + 2 * record);
    if (need <= usage.freeBytes) return;
    const limit = usage.limitBytes !== undefined ? `; ${formatBytes(usage.usedBytes)} of ${formatBytes(usage.limitBytes)} used` : '';
    throw new StoreFullError(
      `JetStream has no room for sweep ${sweep.id}: its ${shards.length} shards and record need about ${formatBytes(need)}, and ${usage.limitName ?? 'the store'} leaves ${formatBytes(usage.freeBytes)}${limit}. Nothing of it was kept. ${STORE_FULL_HINT}`,
    );
  }

  /**
   * Removes what a failed dispatch stored and returns the error to throw. When JetStream does not
   * answer, removing would not either: it is left to `retry` and the error says so.
   */
  private async takeBack(id: string, leftover: Leftover, err: unknown, doing: string, outcome: string): Promise<unknown> {
    if (isNoAnswer(err)) {
      this.leftovers.set(id, leftover);
      return asJetStreamFailure(err, `${doing}; what it stored is removed once JetStream answers`);
    }
    try {
      await this.remove(id, leftover);
    } catch (removeErr) {
      this.leftovers.set(id, leftover);
      this.log.warn('removing what a failed dispatch stored failed; will retry', { sweep: id, error: errorText(removeErr) });
      return asJetStreamFailure(err, `${doing}; removing what it stored failed (${errorText(removeErr)}) and is retried`);
    }
    return asJetStreamFailure(err, `${doing}; ${outcome}`);
  }

  private async remove(id: string, leftover: Leftover): Promise<void> {
    await this.dispatcher.discard(id, leftover.seqs);
    if (leftover.record) await this.store.delete(id);
  }
}
