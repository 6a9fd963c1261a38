import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { coreSubscriptionReader, errorText, type Logger, type ReaderRun } from '../common/index.js';
import type { CoordinatorMetrics } from './coordinator-metrics.js';

/**
 * Messages the coordinator drops because they do not decode (garbled or forged): each is counted
 * in `fairsweep_malformed_messages_total` under its kind and logged, and none ends the reader
 * that got it.
 */
export class MalformedMessages {
  constructor(
    private readonly metrics: CoordinatorMetrics,
    private readonly log: Logger,
  ) {}

  /** Drops one message of `kind`: counted and logged, with its subject when known. */
  drop(kind: string, err: unknown, subject?: string): void {
    this.metrics.malformed.inc({ subject: kind });
    this.log.warn(`dropped malformed ${kind} message`, { ...(subject ? { subject } : {}), error: errorText(err) });
  }

  /**
   * A reader of a core NATS subscription whose messages are parsed, then handled. A message that
   * does not parse is dropped; an error while handling one is logged. Neither ends the
   * subscription; if it closes all the same, the supervisor subscribes again.
   */
  reader<T>(nc: NatsConnection, subject: string, kind: string, parse: (msg: Msg) => T, handle: (value: T) => void): ReaderRun {
    return coreSubscriptionReader(
      nc,
      subject,
      (msg) => {
        let value: T;
        try {
          value = parse(msg);
        } catch (e) {
          this.drop(kind, e, msg.subject);
          return;
        }
        handle(value);
      },
      this.log,
    );
  }
}
