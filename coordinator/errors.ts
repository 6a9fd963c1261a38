/** Failure kinds of the coordinator; the gRPC boundary maps each to a status code. */
import { JETSTREAM_TIMEOUT_MS, errorText, isNoAnswer, isStoreFull } from '../common/index.js';

/** A sweep spec (or a request built from one) that cannot be run; `path` names the bad value. */
export class SpecError extends Error {
  override name = 'SpecError';
  constructor(
    readonly issues: readonly { path: string; message: string }[],
    options?: { cause?: unknown },
  ) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '), options);
  }
  static at(path: string, message: string): SpecError {
    return new SpecError([{ path, message }]);
  }
}

/** A request argument that is not valid (not a spec problem): gRPC INVALID_ARGUMENT. */
export class InvalidArgumentError extends Error {
  override name = 'InvalidArgumentError';
}

/** No sweep with that id: gRPC NOT_FOUND. */
export class SweepNotFoundError extends Error {
  override name = 'SweepNotFoundError';
  constructor(readonly sweepId: string) {
    super(`no sweep with id "${sweepId}"`);
  }
}

/**
 * The operation does not apply in the sweep's state (e.g. cancelling a finished sweep): gRPC
 * FAILED_PRECONDITION. `transition` names the operation refused, `state` the sweep's state then.
 */
export class SweepStateError extends Error {
  override name = 'SweepStateError';
  constructor(
    readonly sweepId: string,
    readonly state: string,
    readonly transition: string,
    message: string,
  ) {
    super(message);
  }
}

/** A coordinator or coordinator-server option that is not valid; `option` names it. Not retryable. */
export class InvalidOptionError extends Error {
  override name = 'InvalidOptionError';
  constructor(
    readonly option: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${option}: ${message}`, options);
  }
}

/** What to do about a full JetStream store, for error messages and logs. */
export const STORE_FULL_HINT =
  "Make room in JetStream's file store: grow it (nats-server `jetstream { max_file_store }`, the account's `jetstream { max_file }`, the max_bytes of a stream that has one) on a volume big enough, or purge results no longer needed (docs/operations.md, \"JetStream store full\").";

/**
 * JetStream refused to store what the operation needs because a store is full (nats-server's
 * `max_file_store`, the account's limit or a stream's max_bytes): gRPC RESOURCE_EXHAUSTED. Waiting
 * does not help; something must be deleted or the store grown.
 */
export class StoreFullError extends Error {
  override name = 'StoreFullError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * JetStream did not answer in time, or nobody serves its API: nats-server is down, stopped, or has
 * disabled JetStream (as it does when its disk fills up). gRPC UNAVAILABLE.
 */
export class JetStreamUnavailableError extends Error {
  override name = 'JetStreamUnavailableError';
  constructor(
    readonly timeoutMs: number,
    doing: string,
    options?: { cause?: unknown },
  ) {
    super(
      `JetStream did not answer within ${timeoutMs} ms${doing ? ` ${doing}` : ''}: is nats-server up, and is its store not full? (nats-server stops answering JetStream requests when its disk is full)`,
      options,
    );
  }
}

/**
 * A JetStream error as the coordinator reports it: a full store as StoreFullError, no answer as
 * JetStreamUnavailableError, both saying what was being done (`doing`, e.g. "while storing sweep
 * x's record"); any other error unchanged.
 */
export function asJetStreamFailure(err: unknown, doing = ''): unknown {
  if (err instanceof StoreFullError || err instanceof JetStreamUnavailableError) return err;
  if (isStoreFull(err)) return new StoreFullError(`JetStream's store is full${doing ? ` ${doing}` : ''} (${errorText(err)}). ${STORE_FULL_HINT}`, { cause: err });
  if (isNoAnswer(err)) return new JetStreamUnavailableError(JETSTREAM_TIMEOUT_MS, doing, { cause: err });
  return err;
}
