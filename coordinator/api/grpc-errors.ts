import { status, Metadata, type ServerErrorResponse } from '@grpc/grpc-js';
import { InvalidArgumentError, JetStreamUnavailableError, SpecError, StoreFullError, SweepNotFoundError, SweepStateError, asJetStreamFailure } from '../errors.js';
import { errorText } from '../../common/index.js';

/**
 * Trailer of an error that is about JetStream, not about the call: `store-full` (RESOURCE_EXHAUSTED)
 * or `jetstream-unavailable` (UNAVAILABLE: the coordinator answered, nats-server did not), so that
 * a client does not take the second for an unreachable coordinator.
 */
export const ERROR_CAUSE_KEY = 'fairsweep-error-cause';

/**
 * Maps a coordinator error to a gRPC status at the API boundary: an Error carrying code, details
 * and metadata. A JetStream error that reaches here unwrapped is named for what it means first: a
 * full store (RESOURCE_EXHAUSTED) or JetStream not answering (UNAVAILABLE), never a bare timeout.
 */
export function toServiceError(thrown: unknown): ServerErrorResponse {
  const err = asJetStreamFailure(thrown);
  let code: status = status.INTERNAL;
  if (err instanceof SpecError || err instanceof InvalidArgumentError) code = status.INVALID_ARGUMENT;
  else if (err instanceof SweepNotFoundError) code = status.NOT_FOUND;
  else if (err instanceof SweepStateError) code = status.FAILED_PRECONDITION;
  else if (err instanceof StoreFullError) code = status.RESOURCE_EXHAUSTED;
  else if (err instanceof JetStreamUnavailableError) code = status.UNAVAILABLE;
  const message = code === status.INTERNAL ? `internal error: ${errorText(err)}` : errorText(err);
  const metadata = new Metadata();
  if (err instanceof StoreFullError) metadata.set(ERROR_CAUSE_KEY, 'store-full');
  else if (err instanceof JetStreamUnavailableError) metadata.set(ERROR_CAUSE_KEY, 'jetstream-unavailable');
  return Object.assign(new Error(message), { code, details: message, metadata });
}
