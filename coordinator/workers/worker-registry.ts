import type { NatsConnection } from '@nats-io/transport-node';
import { WORKER_HEARTBEAT_SUBJECT, WorkerInfo } from '../../proto/index.js';
import type { ReaderSupervisor } from '../../common/index.js';
import type { MalformedMessages } from '../malformed-messages.js';

/** A heartbeat's worker info; throws when it does not decode or names no worker. */
function decodeHeartbeat(data: Uint8Array): WorkerInfo {
  const info = WorkerInfo.decode(data);
  if (!info.id) throw new Error('heartbeat without a worker id');
  return info;
}

/** A worker is considered gone when no heartbeat came for this long. */
export const WORKER_TIMEOUT_MS = 10_000;

/** Workers known from their heartbeats on core NATS. */
export class WorkerRegistry {
  private readonly workers = new Map<string, { info: WorkerInfo; seenMs: number }>();

  /**
   * Reads heartbeats under `readers` (subscribed again if the subscription closes) until it closes;
   * one that does not decode, or names no worker, is dropped through `malformed` (kind `heartbeat`).
   */
  start(nc: NatsConnection, readers: ReaderSupervisor, malformed: MalformedMessages): void {
    readers.add('heartbeats', malformed.reader(nc, WORKER_HEARTBEAT_SUBJECT, 'heartbeat', (msg) => decodeHeartbeat(msg.data), (info) => this.onHeartbeat(info)));
  }

  private onHeartbeat(info: WorkerInfo): void {
    if (info.state === 'stopped') this.workers.delete(info.id);
    else this.workers.set(info.id, { info, seenMs: Date.now() });
  }

  /** Live workers, sorted by id; stale entries are dropped. */
  list(now = Date.now()): WorkerInfo[] {
    for (const [id, w] of this.workers) if (now - w.seenMs > WORKER_TIMEOUT_MS) this.workers.delete(id);
    return [...this.workers.values()].map((w) => w.info).sort((a, b) => (a.id < b.id ? -1 : 1));
  }
}
