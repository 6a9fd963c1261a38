import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { RESULTS_STREAM, TrialResult, resultSubject } from '../../proto/index.js';
import { BoundedPublish, isAlreadyRecorded, whenReady } from '../../common/index.js';

/** How long a result publish is retried while JetStream is unavailable before the shard is given back. */
export const RESULT_PUBLISH_RETRY_MS = 30_000;
/** Result publishes awaiting their JetStream ack at once, per shard. */
export const RESULT_WINDOW = 256;

/** What a ResultPublisher reports as its results are stored or refused. */
export interface StoreOutcomes {
  /** A result was stored. */
  stored(): void;
  /** A result was refused (after retrying while JetStream was briefly unavailable); `retry` publishes it again. */
  refused(err: unknown, retry: () => Promise<unknown>): void;
}

/**
 * Publishes one shard's trial results to the results stream, pipelined (RESULT_WINDOW at once).
 * Each result goes out with the trial id as message id, on a subject that holds one message.
 */
export class ResultPublisher {
  private readonly window = new BoundedPublish(RESULT_WINDOW);

  constructor(
    private readonly js: JetStreamClient,
    private readonly outcomes: StoreOutcomes,
  ) {}

  /**
   * Queues `r`; returns once the window has room. Throws when an earlier publish of this shard
   * could not be stored (the shard is then given back).
   */
  async publish(r: TrialResult): Promise<void> {
    const data = TrialResult.encode(r).finish();
    const send = (): Promise<unknown> => this.js.publish(resultSubject(r.sweepId, r.trialId), data, { msgID: r.trialId });
    // Retried while JetStream is briefly unavailable (a cluster electing a new leader); the trial
    // id as message id makes a retried publish safe. A full store is not waited for here.
    const stored = whenReady(send, RESULT_PUBLISH_RETRY_MS).then(
      () => this.outcomes.stored(),
      (err: unknown) => {
        // This trial already has its one result (recorded by an earlier attempt, after the
        // de-duplication window): nothing is lost, and the shard is done with it.
        if (isAlreadyRecorded(err)) return;
        this.outcomes.refused(err, send);
        throw err;
      },
    );
    await this.window.add(stored);
  }

  /** Waits until every result is stored; throws the first that could not be. */
  drain(): Promise<void> {
    return this.window.drain();
  }
}

/** Whether the trial already has its result (skipped when a shard is delivered again). */
export async function isRecorded(jsm: JetStreamManager, sweepId: string, trialId: string): Promise<boolean> {
  try {
    const m = await jsm.streams.getMessage(RESULTS_STREAM, { last_by_subj: resultSubject(sweepId, trialId) });
    return m !== null;
  } catch {
    // Not known to be recorded: the trial runs again, and the results stream keeps its first result.
    return false;
  }
}
