import { status, Metadata, type ServerErrorResponse } from '@grpc/grpc-js';
import { InvalidArgumentError, SpecError, SweepNotFoundError, SweepStateError } from '../errors.js';
import { errorText } from '../../common/index.js';

/** Maps a coordinator error to a gRPC status at the API boundary: an Error carrying code, details and metadata. */
export function toServiceError(err: unknown): ServerErrorResponse {
  let code: status = status.INTERNAL;
  if (err instanceof SpecError || err instanceof InvalidArgumentError) code = status.INVALID_ARGUMENT;
  else if (err instanceof SweepNotFoundError) code = status.NOT_FOUND;
  else if (err instanceof SweepStateError) code = status.FAILED_PRECONDITION;
  const message = code === status.INTERNAL ? `internal error: ${errorText(err)}` : errorText(err);
  return Object.assign(new Error(message), { code, details: message, metadata: new Metadata() });
}
