import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { MalformedResultError, RESULTS_STREAM, decodeResultOn, fromParamMap, type TrialResult } from '../../proto/index.js';
import { errorText, isNotFound, type Logger, type ReaderSupervisor } from '../../common/index.js';
import { trialId } from '../spec/index.js';

/** Malformed result messages remembered for another deletion attempt. */
const MAX_UNDELETED = 10_000;

export interface ResultsReaderHandlers {
  onResult(r: TrialResult): void;
  onMalformed(subject: string, err: unknown): void;
  log: Logger;
}

/**
 * Reads the results stream from its first message with an ordered consumer, so the coordinator's
 * state is rebuilt from JetStream at start. It runs under the coordinator's ReaderSupervisor: when
 * the consumer ends, fails or stalls (a server restart, a cluster node lost) it is created again
 * from the next unread sequence, after a back-off. A stored message that is not a result of the
 * trial its subject names (decodeResultOn, readResult) is counted as malformed, not recorded, and
 * deleted, so that the trial's real result can be stored on its subject (which holds one message).
 */
export class ResultsReader {
  count = 0;
  private messages: ConsumerMessages | undefined;
  private lastSeq = 0;
  private target = 0;
  private readonly waiters: (() => void)[] = [];
  private lastCheckSeq = -1;
  /** Malformed messages whose deletion failed, by sequence: tried again on each periodic check. */
  private readonly undeleted = new Map<number, string>();

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly h: ResultsReaderHandlers,
  ) {}

  /** Starts reading under `supervisor`; resolves once every result stored now has been read. */
  async start(supervisor: ReaderSupervisor): Promise<void> {
    const state = await this.streamState();
    this.target = state && state.messages > 0 ? state.lastSeq : 0;
    supervisor.add('results', (ready, signal) => this.read(ready, signal));
    if (this.target === 0) this.release();
    await this.caughtUp();
  }

  private async streamState(): Promise<{ lastSeq: number; messages: number } | undefined> {
    try {
      const { state } = await this.jsm.streams.info(RESULTS_STREAM);
      return { lastSeq: state.last_seq, messages: state.messages };
    } catch {
      return undefined;
    }
  }

  private async read(ready: () => void, signal: AbortSignal): Promise<void> {
    const consumer = await this.js.consumers.get(
      RESULTS_STREAM,
      this.lastSeq > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.lastSeq + 1 } : { deliver_policy: DeliverPolicy.All },
    );
    // Short heartbeats: a lost server is noticed within seconds.
    const messages = await consumer.consume({ max_messages: 2048, expires: 5_000, idle_heartbeat: 1_000 });
    this.messages = messages;
    const stop = (): void => void messages.close().catch(() => undefined);
    signal.addEventListener('abort', stop, { once: true });
    try {
      if (signal.aborted) return stop();
      ready();
      for await (const m of messages) {
        if (m.seq <= this.lastSeq) continue;
        this.lastSeq = m.seq;
        let r: TrialResult | undefined;
        try {
          r = readResult(m.subject, m.data);
        } catch (err) {
          this.h.onMalformed(m.subject, err);
          await this.deleteMalformed(m.seq, m.subject);
        }
        if (r) {
          this.count++;
          try {
            this.h.onResult(r);
          } catch (err) {
            this.h.log.error('handling a result failed', { subject: m.subject, error: errorText(err) });
          }
        }
        // Caught up: the target read, or nothing left after this one (the last messages may have been deleted).
        if (this.lastSeq >= this.target || m.info.pending === 0) this.release();
      }
    } finally {
      signal.removeEventListener('abort', stop);
      if (this.messages === messages) this.messages = undefined;
    }
  }

  /**
   * Deletes a message that is not a result of its subject's trial, so the trial's real result can
   * be stored there (the subject holds one message). By sequence: a result stored since is never
   * touched. One that could not be deleted is tried again by `checkStalled`.
   */
  private async deleteMalformed(seq: number, subject: string): Promise<void> {
    try {
      await this.jsm.streams.deleteMessage(RESULTS_STREAM, seq, false);
      this.undeleted.delete(seq);
    } catch (err) {
      if (isNotFound(err)) {
        this.undeleted.delete(seq);
        return;
      }
      if (this.undeleted.size < MAX_UNDELETED) this.undeleted.set(seq, subject);
      this.h.log.warn('could not delete a malformed result message; will retry', { subject, seq, error: errorText(err) });
    }
  }

  /**
   * Called periodically: deletes the malformed messages that could not be deleted before; when the
   * stream holds results past the last one read and nothing was read since the previous check, the
   * consumer has stalled and is closed, to be created again.
   */
  async checkStalled(): Promise<void> {
    for (const [seq, subject] of [...this.undeleted]) await this.deleteMalformed(seq, subject);
    const state = await this.streamState();
    if (state && state.messages > 0 && state.lastSeq > this.lastSeq && this.lastSeq === this.lastCheckSeq) {
      this.h.log.warn('results consumer stalled; creating it again', { read: this.lastSeq, stored: state.lastSeq });
      await this.messages?.close().catch(() => undefined);
    }
    this.lastCheckSeq = this.lastSeq;
  }

  /** Resolves once every result stored when the reader started has been processed. */
  caughtUp(): Promise<void> {
    if (this.lastSeq >= this.target) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    this.target = Math.min(this.target, this.lastSeq);
    for (const w of this.waiters.splice(0)) w();
  }
}

/**
 * The result on `subject`, checked as decodeResultOn does, and against its trial id: a planned
 * trial's id is a hash of its sweep, params and seed (coordinator/spec/trials.ts), so a result
 * whose params or seed are not its trial's is not its result. Throws MalformedResultError.
 */
export function readResult(subject: string, data: Uint8Array): TrialResult {
  const r = decodeResultOn(subject, data);
  let expected: string;
  try {
    expected = trialId(r.sweepId, fromParamMap(r.params), r.seed);
  } catch (err) {
    throw new MalformedResultError(`${subject}: result with unreadable params`, { cause: err });
  }
  if (expected !== r.trialId) throw new MalformedResultError(`${subject}: the params and seed of this result are not those of trial ${r.trialId}`);
  return r;
}

/** Whether `data` is a result of the trial `subject` names (readResult). */
export function isResultOn(subject: string, data: Uint8Array): boolean {
  try {
    readResult(subject, data);
    return true;
  } catch {
    return false;
  }
}
