import type { NatsConnection } from '@nats-io/transport-node';
import { WORKER_HEARTBEAT_SUBJECT, WorkerInfo } from '../../proto/index.js';
import { coreSubscriptionReader, type Logger, type ReaderSupervisor } from '../../common/index.js';

/** A worker is considered gone when no heartbeat came for this long. */
export const WORKER_TIMEOUT_MS = 10_000;

/** Workers known from their heartbeats on core NATS. */
export class WorkerRegistry {
  private readonly workers = new Map<string, { info: WorkerInfo; seenMs: number }>();

  constructor(private readonly onMalformed: (err: unknown) => void) {}

  /** Reads heartbeats under `readers` (subscribed again if the subscription closes) until it closes. */
  start(nc: NatsConnection, readers: ReaderSupervisor, log: Logger): void {
    readers.add('heartbeats', coreSubscriptionReader(nc, WORKER_HEARTBEAT_SUBJECT, (msg) => this.onHeartbeat(msg.data), log));
  }

  private onHeartbeat(data: Uint8Array): void {
    let info: WorkerInfo;
    try {
      info = WorkerInfo.decode(data);
      if (!info.id) throw new Error('heartbeat without a worker id');
    } catch (e) {
      this.onMalformed(e);
      return;
    }
    if (info.state === 'stopped') this.workers.delete(info.id);
    else this.workers.set(info.id, { info, seenMs: Date.now() });
  }

  /** Live workers, sorted by id; stale entries are dropped. */
  list(now = Date.now()): WorkerInfo[] {
    for (const [id, w] of this.workers) if (now - w.seenMs > WORKER_TIMEOUT_MS) this.workers.delete(id);
    return [...this.workers.values()].map((w) => w.info).sort((a, b) => (a.id < b.id ? -1 : 1));
  }
}
