import { readlinkSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { DataPathError, DatasetError, NoDataDirError } from '../errors.js';
import { readRegularFile, RegularFileError } from '../regular-file.js';

/** At most this much of a spec's path is repeated in an error. */
const SHOWN_PATH_CHARS = 200;

/** A path from a spec as errors show it: quoted, and cut when long. */
function shown(path: string): string {
  return JSON.stringify(path.length > SHOWN_PATH_CHARS ? `${path.slice(0, SHOWN_PATH_CHARS)}…` : path);
}

/** Whether `path` (absolute) is `root` or lies under it. */
function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
}

function codeOf(err: unknown): string {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : 'unknown error';
}

/**
 * The directory a worker reads dataset files from (`fairsweep worker --data-dir`), and the most
 * bytes it reads of one. A spec's path is relative to it; an absolute path, one whose `..` leads
 * out of it, and one that resolves (realpath: symbolic links followed) outside it are refused
 * before anything is opened; only regular files are read (see readRegularFile). Errors name the
 * path as the spec gave it and hold nothing read from a file.
 */
export class DataRoot {
  /** The directory, absolute. */
  readonly dir: string;

  /** `dir` is resolved to an absolute path; `maxBytes` caps each file read. */
  constructor(
    dir: string,
    readonly maxBytes: number,
  ) {
    this.dir = resolve(dir);
  }

  /**
   * The real path of the file `path` names under the data directory. Throws DataPathError when the
   * path is refused, DatasetError when it does not resolve. `option` names the spec option in errors.
   */
  resolve(path: string, option = 'dataset.path'): string {
    return this.locate(path, option).real;
  }

  /** The real path of `path` and of the data directory it lies in. */
  private locate(path: string, option: string): { real: string; root: string } {
    if (path.includes('\0')) throw new DataPathError(`${option}: ${shown(path)} contains a NUL byte`);
    if (isAbsolute(path)) throw new DataPathError(`${option}: ${shown(path)} is an absolute path; dataset paths are relative to the worker's data directory`);
    const lexical = resolve(this.dir, path);
    if (!isInside(this.dir, lexical)) throw new DataPathError(`${option}: ${shown(path)} leads out of the worker's data directory`);
    const root = this.realRoot();
    let real: string;
    try {
      real = realpathSync(lexical);
    } catch (err) {
      const code = codeOf(err);
      const what = code === 'ENOENT' || code === 'ENOTDIR' ? 'is not a file in the worker\'s data directory' : 'cannot be resolved';
      throw new DatasetError(`${option}: ${shown(path)} ${what} (${code})`, { cause: err });
    }
    if (!isInside(root, real)) throw new DataPathError(`${option}: ${shown(path)} resolves, through a symbolic link, to a file outside the worker's data directory`);
    return { real, root };
  }

  /**
   * The bytes of the regular file `path` names under the data directory, at most `maxBytes`.
   * Throws DataPathError or DatasetError (a FIFO, a device, a directory, a file over the cap...).
   */
  read(path: string, option = 'dataset.path'): Buffer {
    const { real, root } = this.locate(path, option);
    try {
      return readRegularFile(real, {
        maxBytes: this.maxBytes,
        shownAs: shown(path),
        // The last component must not have become a symbolic link since realpath ...
        noFollow: true,
        // ... and where a system names what a descriptor opened (Linux: /proc/self/fd), that must
        // still be inside the data directory (a parent directory swapped for a link meanwhile).
        afterOpen: (fd) => {
          const opened = openedPath(fd);
          if (opened !== undefined && !isInside(root, opened)) throw new DataPathError(`${option}: ${shown(path)} moved out of the worker's data directory while it was opened`);
        },
      });
    } catch (err) {
      if (!(err instanceof RegularFileError)) throw err;
      const hint = err.problem === 'too-large' ? ' (a worker reads larger files with --max-data-mb)' : '';
      throw new DatasetError(`${option}: ${err.message}${hint}`, { cause: err });
    }
  }

  private realRoot(): string {
    try {
      return realpathSync(this.dir);
    } catch (err) {
      throw new DatasetError(`the worker's data directory cannot be resolved (${codeOf(err)})`, { cause: err });
    }
  }
}

/** The path the system gives for an open descriptor, where it gives one (/proc on Linux). */
function openedPath(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`).replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
}

/**
 * The worker's data directory, or a NoDataDirError saying how to give it one: a worker started
 * without `--data-dir` reads no dataset file.
 */
export function requireDataRoot(root: DataRoot | undefined, option = 'dataset.path'): DataRoot {
  if (root) return root;
  throw new NoDataDirError(
    `${option}: this worker has no data directory, so it reads no dataset files; start it with \`fairsweep worker --data-dir DIR\` ` +
      '(`fairsweep run` gives its workers the directory it runs in, or its own --data-dir) and give the path relative to DIR',
  );
}
