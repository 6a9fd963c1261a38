import type { SweepRecord } from '../../proto/index.js';
import { errorText, isNoAnswer, isStoreFull, type Logger } from '../../common/index.js';
import type { SweepStore } from './sweep-store.js';

/** A sweep whose record is written: its id and its current record. */
export interface RecordSource {
  readonly id: string;
  readonly record: Readonly<SweepRecord>;
  /** Its state in words (SweepLifecycle's phase). */
  readonly phase: string;
}

/**
 * Writes sweep records to the sweeps bucket. A record JetStream does not take (its store full, or
 * no answer) is not lost: the sweep is remembered and its latest record written again by `retry`
 * (the coordinator's reconcile) until JetStream takes it. Until then `notStored` says why, so that
 * a state known only in this coordinator's memory is never reported as stored.
 */
export class RecordWriter {
  private readonly pending = new Map<string, { sweep: RecordSource; why: string }>();

  constructor(
    private readonly store: SweepStore,
    private readonly log: Logger,
  ) {}

  /** Writes the sweep's current record: true once stored; false when it is kept for `retry`. */
  async put(sweep: RecordSource): Promise<boolean> {
    try {
      await this.store.put(sweep.record);
    } catch (err) {
      const why = refusal(err);
      if (!this.pending.has(sweep.id)) this.log.warn('sweep record not stored; kept in memory and retried', { sweep: sweep.id, error: why });
      this.pending.set(sweep.id, { sweep, why });
      return false;
    }
    if (this.pending.delete(sweep.id)) this.log.info('sweep record stored', { sweep: sweep.id });
    return true;
  }

  /** Why the sweep's latest record is not stored, or undefined when it is. */
  notStored(id: string): string | undefined {
    return this.pending.get(id)?.why;
  }

  /**
   * The sweep's record as the API reports it: one not stored yet says so in its reason (e.g. a
   * cancel JetStream refused to store: the sweep is stopped, but only this coordinator knows).
   */
  reported(sweep: RecordSource): SweepRecord {
    const why = this.notStored(sweep.id);
    if (!why) return sweep.record;
    const reason = `${sweep.record.reason || sweep.phase}; not stored yet, only this coordinator knows: ${why}; it is stored as soon as JetStream takes it (until then a restarted coordinator would not know of it)`;
    return { ...sweep.record, reason };
  }

  /** Writes again every record kept by `put`; the ones still refused stay kept. */
  async retry(): Promise<void> {
    for (const { sweep } of [...this.pending.values()]) await this.put(sweep);
  }

  /** Sweeps with a record not stored. */
  get size(): number {
    return this.pending.size;
  }
}

/** Why JetStream did not take a write, in a few words an operator can act on. */
function refusal(err: unknown): string {
  if (isStoreFull(err)) return `JetStream's store is full (${errorText(err)})`;
  if (isNoAnswer(err)) return `JetStream did not answer (${errorText(err)})`;
  return errorText(err);
}
