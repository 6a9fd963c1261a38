/** Failure kinds of the coordinator; the gRPC boundary maps each to a status code. */

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
