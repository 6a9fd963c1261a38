import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';

/**
 * JetStream API error codes fairsweep acts on (nats-server's errors.json). The client reports
 * them as `JetStreamApiError` with a `code` getter; nothing else in fairsweep reads error fields.
 */
export const JS_API = {
  ...JetStreamApiCodes,
  /**
   * JSStreamStoreFailedF: the store refused a message. With `discard_new_per_subject` and
   * `max_msgs_per_subject: 1` this is how the results stream says a trial already has its result;
   * the same code also reports a full store, told apart by the description.
   */
  StoreFailed: 10077,
} as const;

/** The JetStream API error code of `err`, or undefined when it is not a JetStream API error. */
export function jsApiCode(err: unknown): number | undefined {
  return err instanceof JetStreamApiError ? err.code : undefined;
}

/**
 * The publish was refused because the subject already holds its one message: for a result, the
 * trial was recorded before (by an earlier attempt or the coordinator), so nothing is lost.
 */
export function isAlreadyRecorded(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    err.code === JS_API.StoreFailed &&
    /per subject/i.test(err.apiError().description)
  );
}

/** The stream, consumer or stored message asked for does not exist. */
export function isNotFound(err: unknown): boolean {
  const code = jsApiCode(err);
  return code === JS_API.StreamNotFound || code === JS_API.ConsumerNotFound || code === JS_API.NoMessageFound;
}

/** A JetStream error that goes away by itself (a cluster still electing its leader, a reconnect). */
export function isTransient(err: unknown): boolean {
  // A refused store (10077) also comes with status 503, but does not clear by waiting.
  if (err instanceof JetStreamApiError) return err.status === 503 && err.code !== JS_API.StoreFailed;
  const message = err instanceof Error ? err.message : String(err);
  return /temporarily unavailable|no suitable peers|no responders|timeout|jetstream is not enabled|disconnect|connection closed/i.test(message);
}
