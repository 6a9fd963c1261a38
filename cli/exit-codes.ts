import { SweepState, type Progress } from '../proto/index.js';

/**
 * What `fairsweep` exits with. The table below is printed by `fairsweep --help` and documented in
 * docs/cli-exit-codes.md (a test keeps the two in step).
 */
export enum ExitCode {
  /** Done; a sweep that was waited for finished with every trial ok. */
  Ok = 0,
  /** A problem the message names and says how to fix: invalid spec, unreadable file, unreachable coordinator or NATS, port in use. */
  Error = 1,
  /** The command line itself: unknown command or option, missing or malformed argument. */
  Usage = 2,
  /** The sweep waited for was cancelled (`fairsweep cancel`, or `run` lost all its workers). */
  Cancelled = 3,
  /** The sweep waited for finished, but some or all of its trials failed; the first errors are printed. */
  TrialsFailed = 4,
  /** An unexpected error, a bug: the stack trace is printed; please report it. */
  Internal = 70,
  /** `run` was interrupted (Ctrl-C, SIGTERM, SIGHUP): the sweep was cancelled, results so far were written. */
  Interrupted = 130,
}

/** One line per code, for `--help` and the docs. */
export const EXIT_CODE_LINES: readonly (readonly [ExitCode, string])[] = [
  [ExitCode.Ok, 'success; a sweep that was waited for (run, submit --wait, watch) finished with every trial ok'],
  [ExitCode.Error, 'an error the message explains (invalid spec, unreadable file, coordinator or NATS unreachable, port in use)'],
  [ExitCode.Usage, 'usage error: unknown command or option, missing or malformed argument'],
  [ExitCode.Cancelled, 'the sweep waited for was cancelled'],
  [ExitCode.TrialsFailed, 'the sweep waited for finished with failed trials (the first errors are printed)'],
  [ExitCode.Internal, 'unexpected internal error (a bug; the stack trace is printed)'],
  [ExitCode.Interrupted, 'run interrupted by Ctrl-C or SIGTERM: the sweep was cancelled, partial results written'],
];

export function exitCodeHelp(): string {
  return `\nExit codes:\n${EXIT_CODE_LINES.map(([code, text]) => `  ${String(code).padStart(3)}  ${text}`).join('\n')}\n`;
}

/**
 * Exit code of a command that waited for a sweep to end, from its final progress: cancelled, else
 * any failed (or missing) trial, else ok. Counts decide, so a sweep state for failure added later
 * exits the same way.
 */
export function sweepExitCode(p: Progress): ExitCode {
  if (p.state === SweepState.SWEEP_STATE_CANCELLED) return ExitCode.Cancelled;
  // A pruned trial (stopped early by early_stop) ended as asked: not a failure.
  if (p.failed > 0 || p.ok + (p.pruned ?? 0) < p.total) return ExitCode.TrialsFailed;
  return ExitCode.Ok;
}
