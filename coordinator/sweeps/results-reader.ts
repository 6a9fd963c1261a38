import { DeliverPolicy, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import { RESULTS_STREAM, TrialResult, errorText, type Logger } from '../../proto/index.js';

export interface ResultsReaderHandlers {
  onResult(r: TrialResult): void;
  onMalformed(subject: string, err: unknown): void;
  log: Logger;
}

/**
 * Reads the results stream from its first message with an ordered consumer (recreated by the
 * client across server restarts), so the coordinator's state is rebuilt from JetStream at start.
 */
export class ResultsReader {
  count = 0;
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private lastSeq = 0;
  private target = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly js: JetStreamClient,
    private readonly h: ResultsReaderHandlers,
  ) {}

  async start(): Promise<void> {
    const info = await (await this.js.jetstreamManager()).streams.info(RESULTS_STREAM);
    this.target = info.state.last_seq;
    const consumer = await this.js.consumers.get(RESULTS_STREAM, { deliver_policy: DeliverPolicy.All });
    // Short heartbeats: after a server restart the consumer notices within seconds and is recreated.
    this.messages = await consumer.consume({ max_messages: 2048, expires: 5_000, idle_heartbeat: 1_000 });
    this.loop = (async () => {
      for await (const m of this.messages!) {
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
    })().catch((err: unknown) => this.h.log.error('results reader stopped', { error: errorText(err) }));
    if (this.target === 0) this.release();
    await this.caughtUp();
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
    await this.messages?.close();
    await this.loop;
  }
}
