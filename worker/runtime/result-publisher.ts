import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { RESULTS_STREAM, TrialResult, canonicalJson, decodeResultOn, fromParamMap, resultSubject, type ParamValue, type Trial } from '../../proto/index.js';
import { BoundedPublish, lastOnSubject, publishToSlot, whenReady } from '../../common/index.js';

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
 * Each result goes out with the trial id as message id, on a subject that holds one message: a
 * valid result already there (an earlier attempt's) stands; anything else found there (garbage
 * published first) is deleted by the coordinator as soon as it reads it, and the result is
 * published again after a pause (publishToSlot); a worker needs no right to delete results.
 */
export class ResultPublisher {
  private readonly window = new BoundedPublish(RESULT_WINDOW);

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly outcomes: StoreOutcomes,
    /** Told of each message found in the place of a result that is not the result. */
    private readonly onForeign: (subject: string, seq: number) => void = () => undefined,
  ) {}

  /**
   * Queues `r`; returns once the window has room. Throws when an earlier publish of this shard
   * could not be stored (the shard is then given back).
   */
  async publish(r: TrialResult): Promise<void> {
    const subject = resultSubject(r.sweepId, r.trialId);
    const data = TrialResult.encode(r).finish();
    const send = (): Promise<unknown> =>
      publishToSlot(this.js, this.jsm, {
        stream: RESULTS_STREAM,
        subject,
        data,
        msgID: r.trialId,
        belongs: (held) => isResultOf(held, r),
        foreign: 'wait',
        onForeign: (seq) => this.onForeign(subject, seq),
      });
    // Retried while JetStream is briefly unavailable (a cluster electing a new leader); the trial
    // id as message id makes a retried publish safe. A full store is not waited for here: it is
    // reported (the worker backs off) and the shard is given back.
    const stored = whenReady(send, RESULT_PUBLISH_RETRY_MS).then(
      () => this.outcomes.stored(),
      (err: unknown) => {
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

/**
 * Whether `data` is a result of the same trial as `r` (its sweep, id, params and seed), as the
 * coordinator reads results: decodeResultOn, and the params and seed its trial id is a hash of.
 */
export function isResultOf(data: Uint8Array, r: Pick<TrialResult, 'sweepId' | 'trialId' | 'params' | 'seed'>): boolean {
  try {
    const held = decodeResultOn(resultSubject(r.sweepId, r.trialId), data);
    return held.seed === r.seed && sameParams(held.params, r.params);
  } catch {
    return false;
  }
}

function sameParams(a: Record<string, ParamValue>, b: Record<string, ParamValue>): boolean {
  return canonicalJson(fromParamMap(a)) === canonicalJson(fromParamMap(b));
}

/** Whether the trial already has its result (skipped when a shard is delivered again); a message that is not its result does not count. */
export async function isRecorded(jsm: JetStreamManager, sweepId: string, trial: Trial): Promise<boolean> {
  try {
    const m = await lastOnSubject(jsm, RESULTS_STREAM, resultSubject(sweepId, trial.id));
    return m !== null && isResultOf(m.data, { sweepId, trialId: trial.id, params: trial.params, seed: trial.seed });
  } catch {
    // Not known to be recorded: the trial runs again, and the results stream keeps its first result.
    return false;
  }
}
