/** Failure kinds raised inside trials. The runtime maps them to retry or record-as-failed. */

/** A trial that fails the same way on every attempt (bad params, divergence): recorded failed at once. */
export class TrialFailedError extends Error {
  override name = 'TrialFailedError';
  readonly unrecoverable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A dataset option or file that cannot be used (missing column, non-numeric value...). */
export class DatasetError extends TrialFailedError {
  override name = 'DatasetError';
}

/**
 * A csv dataset on a worker started without a data directory (`fairsweep worker --data-dir`): it
 * reads no dataset file at all.
 */
export class NoDataDirError extends DatasetError {
  override name = 'NoDataDirError';
}

/** A dataset path the worker refuses: absolute, or leading (by `..` or a symbolic link) out of its data directory. */
export class DataPathError extends DatasetError {
  override name = 'DataPathError';
}

/**
 * A trial whose estimated memory (catalog: model, Adam state, activations, data) is over this
 * worker's budget per trial (`--memory-mb` shared by its slots): refused before anything is built,
 * never retried (it would not fit on the next attempt either).
 */
export class TrialMemoryError extends TrialFailedError {
  override name = 'TrialMemoryError';
}

/** The trial was stopped because its sweep was cancelled or its shard handed back. */
export class TrialCancelledError extends Error {
  override name = 'TrialCancelledError';
  constructor(message = 'trial cancelled', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Throws TrialCancelledError when the signal is aborted: call it between training steps. */
export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new TrialCancelledError(String(signal.reason ?? 'trial cancelled'));
}

/**
 * An error that fails the same way on every attempt, so it is recorded at once rather than retried:
 * a TrialFailedError, or any error that says so with `unrecoverable: true` (BullMQ's convention).
 */
export function isUnrecoverable(err: unknown): boolean {
  return err instanceof TrialFailedError || (typeof err === 'object' && err !== null && 'unrecoverable' in err && err.unrecoverable === true);
}

/** A worker option that is missing, out of range or of the wrong kind; `option` names it. */
export class WorkerOptionError extends RangeError {
  override name = 'WorkerOptionError';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`);
  }
}

/** A worker asked to move to a state its current state cannot lead to (e.g. running again once stopped). */
export class WorkerStateError extends Error {
  override name = 'WorkerStateError';
}
