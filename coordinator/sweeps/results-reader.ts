import { DeliverPolicy, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import { RESULTS_STREAM, TrialResult } from '../../proto/index.js';
import { errorText, type Logger } from '../../common/index.js';

export interface ResultsReaderHandlers {
  onResult(r: TrialResult): void;
  onMalformed(subject: string, err: unknown): void;
  log: Logger;
}

/** Longest wait for the read loop to end on stop(). */
const STOP_WAIT_MS = 2_000;
/** Pause before an ordered consumer that ended or failed is created again. */
const RESTART_DELAY_MS = 500;

/**
 * Reads the results stream from its first message with an ordered consumer, so the coordinator's
 * state is rebuilt from JetStream at start. The consumer is created again from the next unread
 * sequence whenever it ends or stalls (a server restart, a cluster node lost).
 */
export class ResultsReader {
  count = 0;
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private lastSeq = 0;
  private target = 0;
  private stopped = false;
  private readonly waiters: (() => void)[] = [];
  private lastCheckSeq = -1;

  constructor(
    private readonly js: JetStreamClient,
    private readonly h: ResultsReaderHandlers,
  ) {}

  async start(): Promise<void> {
    this.target = (await this.streamLastSeq()) ?? 0;
    this.loop = this.run();
    if (this.target === 0) this.release();
    await this.caughtUp();
  }

  private async streamLastSeq(): Promise<number | undefined> {
    try {
      return (await (await this.js.jetstreamManager()).streams.info(RESULTS_STREAM)).state.last_seq;
    } catch {
      return undefined;
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const consumer = await this.js.consumers.get(
          RESULTS_STREAM,
          this.lastSeq > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.lastSeq + 1 } : { deliver_policy: DeliverPolicy.All },
        );
        // Short heartbeats: a lost server is noticed within seconds.
        this.messages = await consumer.consume({ max_messages: 2048, expires: 5_000, idle_heartbeat: 1_000 });
        if (this.stopped) {
          // stop() ran while the consumer was being created.
          this.messages.stop();
          return;
        }
        for await (const m of this.messages) {
          if (m.seq <= this.lastSeq) continue;
          this.lastSeq = m.seq;
          try {
            const r = TrialResult.decode(m.data);
            if (!r.trialId || !r.sweepId) throw new Error('result without trial_id or sweep_id');
            this.count++;
            this.h.onResult(r);
          } catch (err) {
            this.h.onMalformed(m.subject, err);
          }
          if (this.lastSeq >= this.target) this.release();
        }
      } catch (err) {
        if (!this.stopped) this.h.log.warn('results consumer failed; creating it again', { error: errorText(err), after_seq: this.lastSeq });
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, RESTART_DELAY_MS));
    }
  }

  /**
   * Called periodically: when the stream holds results past the last one read and nothing was read
   * since the previous check, the consumer has stalled and is created again.
   */
  async checkStalled(): Promise<void> {
    const last = await this.streamLastSeq();
    if (last !== undefined && last > this.lastSeq && this.lastSeq === this.lastCheckSeq) {
      this.h.log.warn('results consumer stalled; creating it again', { read: this.lastSeq, stored: last });
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
    for (const w of this.waiters.splice(0)) w();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.messages?.stop();
    // A consumer being created as stop() runs is stopped by the loop itself; do not wait on it for long.
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, STOP_WAIT_MS).unref())]);
  }
}
