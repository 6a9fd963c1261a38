import type { JsMsg } from '@nats-io/jetstream';

/** Shortest period of a shard's periodic heartbeat. */
export const MIN_HEARTBEAT_PERIOD_MS = 100;
/** Heartbeats asked for between training steps go out at most this often. */
export const STEP_HEARTBEAT_MIN_GAP_MS = 1_000;

/**
 * Keeps a delivered shard from being redelivered while this worker holds it: `working()` (+WPI)
 * goes out at a third of the consumer's ack deadline, and from `beat()` between training steps
 * (event-loop-blocking steps can starve the timer) at most once a second.
 */
export class ShardHeartbeat {
  private readonly timer: NodeJS.Timeout;
  private last = Date.now();

  constructor(
    private readonly msg: Pick<JsMsg, 'working'>,
    ackWaitMs: number,
  ) {
    this.timer = setInterval(() => msg.working(), Math.max(MIN_HEARTBEAT_PERIOD_MS, Math.floor(ackWaitMs / 3)));
  }

  /** Called between training steps. */
  beat(): void {
    const now = Date.now();
    if (now - this.last > STEP_HEARTBEAT_MIN_GAP_MS) {
      this.last = now;
      this.msg.working();
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
