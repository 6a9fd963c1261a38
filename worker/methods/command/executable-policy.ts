import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { TrialFailedError } from '../../errors.js';
import type { CompiledCommandOptions } from './command-options.js';

/** A command trial this worker will not run: not allowed at all, or an executable not on its list. */
export class CommandRefusedError extends TrialFailedError {
  override name = 'CommandRefusedError';
}

/** The file `program` names: a path (relative to `cwd`), else the first match on `path`. */
export function resolveExecutable(program: string, cwd: string, path: string | undefined): string | undefined {
  if (program.includes('/')) return isAbsolute(program) ? program : resolve(cwd, program);
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, program);
    try {
      if (statSync(candidate).isFile()) {
        accessSync(candidate, constants.X_OK);
        return candidate;
      }
    } catch {
      // Not here.
    }
  }
  return undefined;
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * Throws CommandRefusedError unless this worker runs command trials (`--allow-command`) and, when
 * it lists executables (`--allow-executable`), `program` resolves to one of them (symbolic links
 * followed on both sides).
 */
export function checkCommandAllowed(options: CompiledCommandOptions, program: string, cwd: string, path: string | undefined): void {
  if (!options.allow) {
    throw new CommandRefusedError('this worker refuses command trials: they run programs named in a spec; start it with --allow-command (fairsweep worker, fairsweep run) to accept them');
  }
  if (options.allowExecutables.length === 0) return;
  const file = resolveExecutable(program, cwd, path);
  const allowed = options.allowExecutables.map((e) => resolveExecutable(e, cwd, process.env['PATH'])).filter((e): e is string => e !== undefined).map(real);
  if (file === undefined || !allowed.includes(real(file))) {
    throw new CommandRefusedError(
      `this worker refuses to run "${program}"${file && file !== program ? ` (${file})` : ''}: not one of its --allow-executable programs (${options.allowExecutables.join(', ')})`,
    );
  }
}
