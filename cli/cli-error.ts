/** An error the CLI prints as one line (no stack trace) before exiting non-zero. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
