import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { WORKER_HEARTBEAT_SUBJECT, WorkerInfo } from '../../proto/index.js';

/** A worker is considered gone when no heartbeat came for this long. */
export const WORKER_TIMEOUT_MS = 10_000;

/** Workers known from their heartbeats on core NATS. */
export class WorkerRegistry {
  private readonly workers = new Map<string, { info: WorkerInfo; seenMs: number }>();
  private sub: Subscription | undefined;

  constructor(private readonly onMalformed: (err: unknown) => void) {}

  start(nc: NatsConnection): void {
    this.sub = nc.subscribe(WORKER_HEARTBEAT_SUBJECT, {
      callback: (err, msg) => {
        if (err) return;
        try {
          const info = WorkerInfo.decode(msg.data);
          if (!info.id) throw new Error('heartbeat without a worker id');
          if (info.state === 'stopped') this.workers.delete(info.id);
          else this.workers.set(info.id, { info, seenMs: Date.now() });
        } catch (e) {
          this.onMalformed(e);
        }
      },
    });
  }

  /** Live workers, sorted by id; stale entries are dropped. */
  list(now = Date.now()): WorkerInfo[] {
    for (const [id, w] of this.workers) if (now - w.seenMs > WORKER_TIMEOUT_MS) this.workers.delete(id);
    return [...this.workers.values()].map((w) => w.info).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  stop(): void {
    this.sub?.unsubscribe();
  }
}
