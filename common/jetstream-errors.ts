import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';

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
  /** JSAccountResourcesExceededErr: the account's JetStream limit (`jetstream { max_file }` of the account) is reached. */
  AccountResourcesExceeded: 10002,
  /** JSInsufficientResourcesErr: the server's store (`jetstream { max_file_store }`) is full. */
  InsufficientResources: 10023,
  /** JSMemoryResourcesExceededErr: the memory store is full. */
  MemoryResourcesExceeded: 10028,
  /** JSStorageResourcesExceededErr: no room to reserve for a new stream's or consumer's storage. */
  StorageResourcesExceeded: 10047,
} as const;

/**
 * How long fairsweep waits for an answer to a JetStream request (the nats.js default, set
 * explicitly where fairsweep creates its clients so that errors can name it).
 */
export const JETSTREAM_TIMEOUT_MS = 5_000;

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

/** 10077 descriptions that mean a stream limit was reached (not "already recorded"). */
const STREAM_FULL = /maximum bytes|maximum messages exceeded|resource limits|insufficient|no space/i;

/**
 * JetStream refused to store a message (or create a consumer) because a store is full: the
 * server's (`max_file_store`), the account's (`max_file`) or a stream's (`max_bytes` with discard
 * new). It does not clear by waiting: something must be deleted or the store grown.
 */
export function isStoreFull(err: unknown): boolean {
  if (!(err instanceof JetStreamApiError)) return false;
  switch (err.code) {
    case JS_API.AccountResourcesExceeded:
    case JS_API.InsufficientResources:
    case JS_API.MemoryResourcesExceeded:
    case JS_API.StorageResourcesExceeded:
      return true;
    case JS_API.StoreFailed:
      return !isAlreadyRecorded(err) && STREAM_FULL.test(err.apiError().description);
    default:
      return false;
  }
}

/**
 * JetStream did not answer: the request timed out, nobody serves the JetStream API (nats-server
 * disables JetStream when its disk is full), or JetStream is not enabled. nats-server is down,
 * stopped, or out of disk.
 */
export function isNoAnswer(err: unknown): boolean {
  if (err instanceof TimeoutError || err instanceof NoRespondersError) return true;
  if (err instanceof RequestError && err.isNoResponders()) return true;
  if (jsApiCode(err) === JS_API.JetStreamNotEnabledForAccount) return true;
  // The JetStream client reports no responders as JetStreamNotEnabled, with the request's error as its cause.
  return err instanceof Error && err.cause instanceof Error && err.cause !== err && isNoAnswer(err.cause);
}

/** The stream, consumer or stored message asked for does not exist. */
export function isNotFound(err: unknown): boolean {
  const code = jsApiCode(err);
  return code === JS_API.StreamNotFound || code === JS_API.ConsumerNotFound || code === JS_API.NoMessageFound;
}

/** A JetStream error that goes away by itself (a cluster still electing its leader, a reconnect). */
export function isTransient(err: unknown): boolean {
  // A refused store (10077) and a full one (10023) also come with status 503, but do not clear by waiting.
  if (err instanceof JetStreamApiError) return err.status === 503 && err.code !== JS_API.StoreFailed && !isStoreFull(err);
  const message = err instanceof Error ? err.message : String(err);
  return /temporarily unavailable|no suitable peers|no responders|timeout|jetstream is not enabled|disconnect|connection closed/i.test(message);
}
