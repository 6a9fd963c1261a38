/** A report cannot be built from the given files or sweep: the message says which and why. */
export class ReportError extends Error {
  override name = 'ReportError';
}
