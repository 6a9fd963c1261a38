import { EventEmitter } from 'node:events';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { errorText, type Logger } from './log.js';

/** First pause before a reader that closed is started again; it doubles on each failure in a row. */
export const DEFAULT_READER_RESTART_BASE_MS = 200;
/** Longest pause between two starts of a reader; a reader that stayed up this long starts over from the base. */
export const DEFAULT_READER_RESTART_MAX_MS = 10_000;

export interface ReaderBackoff {
  /** Default DEFAULT_READER_RESTART_BASE_MS (200 ms). */
  baseMs?: number;
  /** Default DEFAULT_READER_RESTART_MAX_MS (10 s). */
  maxMs?: number;
}

/**
 * One reader of NATS messages: it subscribes (or creates its consumer, opens its watch), calls
 * `ready()` once messages flow, then reads until `signal` aborts. Returning or throwing before
 * that means the reader closed (its iterator ended, the server revoked the subscription...).
 * A message it cannot use must never end it: it drops the message and reads on.
 */
export type ReaderRun = (ready: () => void, signal: AbortSignal) => Promise<void>;

export interface ReaderSupervisorEvents {
  /** Every reader is up (true), or one is down (false); emitted on each change. */
  health: [healthy: boolean];
}

interface ReaderState {
  up: boolean;
  loop: Promise<void>;
}

/**
 * Keeps a process's readers running: a reader that closes is started again after a back-off
 * (DEFAULT_READER_RESTART_BASE_MS doubling up to DEFAULT_READER_RESTART_MAX_MS), and `healthy`
 * is false from the moment one closes until it is ready again, so the gRPC health service can
 * say NOT_SERVING rather than serve a deaf process.
 */
export class ReaderSupervisor extends EventEmitter<ReaderSupervisorEvents> {
  private readonly readers = new Map<string, ReaderState>();
  private readonly controller = new AbortController();
  private readonly baseMs: number;
  private readonly maxMs: number;
  private wasHealthy = true;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly log: Logger,
    backoff: ReaderBackoff = {},
  ) {
    super();
    this.baseMs = backoff.baseMs ?? DEFAULT_READER_RESTART_BASE_MS;
    this.maxMs = backoff.maxMs ?? DEFAULT_READER_RESTART_MAX_MS;
    if (!(this.baseMs > 0) || !(this.maxMs >= this.baseMs)) throw new RangeError(`reader back-off: expected 0 < baseMs <= maxMs, got ${this.baseMs} and ${this.maxMs}`);
  }

  /** Starts `run` under supervision, as the reader called `name` (unique per supervisor). */
  add(name: string, run: ReaderRun): void {
    if (this.readers.has(name)) throw new RangeError(`a reader called "${name}" is supervised already`);
    if (this.controller.signal.aborted) return;
    const state: ReaderState = { up: false, loop: Promise.resolve() };
    this.readers.set(name, state);
    this.report();
    state.loop = this.supervise(name, state, run);
  }

  /** Every reader is up (true while none was added). */
  get healthy(): boolean {
    for (const r of this.readers.values()) if (!r.up) return false;
    return true;
  }

  /** Names of the readers not up now. */
  down(): string[] {
    return [...this.readers].filter(([, r]) => !r.up).map(([name]) => name);
  }

  /** Why the process is not serving (the readers down), or undefined when every reader is up: a health check. */
  unhealthy(): string | undefined {
    const down = this.down();
    return down.length > 0 ? `not serving: NATS readers down: ${down.join(', ')}` : undefined;
  }

  private async supervise(name: string, state: ReaderState, run: ReaderRun): Promise<void> {
    const signal = this.controller.signal;
    let failures = 0;
    while (!signal.aborted) {
      let upSince: number | undefined;
      const ready = (): void => {
        if (signal.aborted || upSince !== undefined) return;
        upSince = Date.now();
        state.up = true;
        if (failures > 0) this.log.info('reader back', { reader: name, restarts: failures });
        this.report();
      };
      let error: unknown;
      try {
        await run(ready, signal);
      } catch (err) {
        error = err;
      }
      if (signal.aborted) break;
      state.up = false;
      this.report();
      // A reader that stayed up long enough closed for a new reason: its back-off starts over.
      if (upSince !== undefined && Date.now() - upSince >= this.maxMs) failures = 0;
      const waitMs = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(failures, 30));
      failures++;
      this.log.warn('reader closed; starting it again', { reader: name, in_ms: waitMs, attempt: failures, ...(error !== undefined ? { error: errorText(error) } : {}) });
      await abortableDelay(waitMs, signal);
    }
  }

  private report(): void {
    const healthy = this.healthy;
    if (healthy === this.wasHealthy || this.controller.signal.aborted) return;
    this.wasHealthy = healthy;
    this.emit('health', healthy);
  }

  /** Stops every reader and waits for them to end. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.controller.abort();
      await Promise.all([...this.readers.values()].map((r) => r.loop));
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * A reader of a core NATS subscription: ready once the server has the subscription, then each
 * message goes to `onMessage`. A throw from `onMessage` is logged and the next message is read;
 * only the subscription closing (revoked, unsubscribed, connection closed) ends the reader.
 */
export function coreSubscriptionReader(nc: NatsConnection, subject: string, onMessage: (msg: Msg) => void, log: Logger): ReaderRun {
  return async (ready, signal) => {
    const sub = nc.subscribe(subject);
    const stop = (): void => sub.unsubscribe();
    signal.addEventListener('abort', stop, { once: true });
    try {
      // The server answers a refused subscription (permissions) before this round trip ends.
      await nc.flush();
      if (!sub.isClosed()) ready();
      for await (const msg of sub) {
        try {
          onMessage(msg);
        } catch (err) {
          log.error('handling a message failed', { subject: msg.subject, error: errorText(err) });
        }
      }
    } finally {
      signal.removeEventListener('abort', stop);
      if (!sub.isClosed()) sub.unsubscribe();
    }
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Where a gRPC health status is set (grpc-health-check's HealthImplementation). */
export interface HealthStatusSink {
  setStatus(service: string, status: 'SERVING' | 'NOT_SERVING'): void;
}

/**
 * Keeps the health status of `services` ('' for the server as a whole) at SERVING while every
 * reader is up and NOT_SERVING while one is down. Returns the function that stops following
 * (call it before the server shuts down, which sets NOT_SERVING itself).
 */
export function followReaders(health: HealthStatusSink, services: readonly string[], readers: ReaderSupervisor): () => void {
  const apply = (healthy: boolean): void => {
    for (const service of services) health.setStatus(service, healthy ? 'SERVING' : 'NOT_SERVING');
  };
  apply(readers.healthy);
  readers.on('health', apply);
  return () => {
    readers.off('health', apply);
  };
}
