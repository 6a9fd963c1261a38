import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';

/** The supervisor script (supervisor.ts), run by the worker's own Node. */
export const SUPERVISOR_PATH = fileURLToPath(new URL('./supervisor.js', import.meta.url));
/** Bytes of stderr kept for the error of a failed attempt. */
export const STDERR_TAIL_BYTES = 2_000;

/** One run of a program: what it is, where, and how it may be stopped. */
export interface ProgramRunSpec {
  argv: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** stdout and stderr, interleaved as they come, are appended to this file. */
  logPath: string;
  /** Aborting it sends SIGTERM to the program's group, then SIGKILL after `graceMs`. */
  signal: AbortSignal;
  /** 0: no limit; else the same as an abort after this long. */
  timeoutMs: number;
  graceMs: number;
}

/** How a program run ended. */
export interface ProgramExit {
  /** Exit code, null when ended by a signal or never started. */
  code: number | null;
  signal: string | null;
  /** Set when the program could not be started (ENOENT, EACCES...). */
  spawnError?: string;
  timedOut: boolean;
  aborted: boolean;
  /** The last STDERR_TAIL_BYTES of stderr. */
  stderrTail: string;
}

interface SupervisorReport {
  code: number | null;
  signal: string | null;
  error?: string;
}

function isReport(v: unknown): v is SupervisorReport {
  return typeof v === 'object' && v !== null && 'code' in v && 'signal' in v;
}

/**
 * Runs `argv` (no shell) under the supervisor, in a process group of its own that dies with this
 * process: see supervisor.ts. Resolves when the group leader has exited.
 */
export function runProgram(spec: ProgramRunSpec): Promise<ProgramExit> {
  return new Promise((resolve) => {
    const log = createWriteStream(spec.logPath, { flags: 'a' });
    const child = spawn(process.execPath, [SUPERVISOR_PATH, ...spec.argv], {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let tail = '';
    let report: SupervisorReport | undefined;
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const pipe = (r: Readable | null, keepTail: boolean): void => {
      r?.on('data', (chunk: Buffer) => {
        log.write(chunk);
        if (keepTail) tail = (tail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
      });
    };
    pipe(child.stdout, false);
    pipe(child.stderr, true);
    let controlText = '';
    const control = child.stdio[3];
    if (control && 'on' in control) {
      control.on('data', (c: Buffer) => {
        controlText += c.toString('utf8');
      });
      control.on('error', () => undefined);
    }
    const signalGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // Already gone.
      }
    };
    const stop = (): void => {
      if (killTimer) return;
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), spec.graceMs);
    };
    const onAbort = (): void => stop();
    spec.signal.addEventListener('abort', onAbort, { once: true });
    if (spec.signal.aborted) stop();
    const timeout =
      spec.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            stop();
          }, spec.timeoutMs)
        : undefined;
    // The supervisor itself could not start (its cwd missing, say): reported as the program's spawn error.
    let supervisorError: string | undefined;
    child.on('error', (err) => {
      supervisorError = err.message;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timeout);
      clearTimeout(killTimer);
      spec.signal.removeEventListener('abort', onAbort);
      try {
        const parsed: unknown = JSON.parse(controlText.trim().split('\n')[0] ?? '');
        if (isReport(parsed)) report = parsed;
      } catch {
        // No report: the supervisor itself was killed (SIGKILL after the grace period).
      }
      log.end(() =>
        resolve({
          code: report ? report.code : code,
          signal: report ? report.signal : signal,
          ...(report?.error !== undefined ? { spawnError: report.error } : supervisorError !== undefined ? { spawnError: supervisorError } : {}),
          timedOut,
          aborted: spec.signal.aborted,
          stderrTail: tail,
        }),
      );
    });
  });
}
