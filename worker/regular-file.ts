import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';

/** Largest file read by default (csv datasets, `fairsweep metrics` predictions): 256 MiB. */
export const DEFAULT_MAX_DATA_BYTES = 256 * 1024 * 1024;
/** Largest cap a reader may be given: what still decodes into one JavaScript string. */
export const MAX_DATA_BYTES_LIMIT = bufferConstants.MAX_STRING_LENGTH;

/** Why a file was not read. */
export type RegularFileProblem = 'missing' | 'not-regular' | 'too-large' | 'unreadable';

/**
 * A file that was not read: absent, not a regular file (FIFO, device, directory, socket), over the
 * size cap, or unreadable. The message names the file as the caller showed it and never holds any
 * of its content.
 */
export class RegularFileError extends Error {
  override name = 'RegularFileError';
  constructor(
    readonly problem: RegularFileProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ReadRegularFileOptions {
  /** Most bytes read; a larger file is refused. */
  maxBytes: number;
  /** How messages name the file (e.g. the path as the user gave it). */
  shownAs: string;
  /** Refuse a symbolic link as the last component at open time (O_NOFOLLOW). Default false. */
  noFollow?: boolean;
  /** Called with the opened descriptor before reading: a further check of what was opened. */
  afterOpen?: (fd: number) => void;
}

/** What kind of file `s` is, in words, for a refusal. */
function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  if (s.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

const MIB = 1024 * 1024;
const mib = (bytes: number): string => (bytes < MIB ? `${bytes} bytes` : `${(bytes / MIB).toFixed(bytes < 10 * MIB ? 1 : 0)} MiB`);

function tooLarge(o: ReadRegularFileOptions, size?: number): RegularFileError {
  const is = size === undefined ? 'is larger than' : `is ${mib(size)}, over`;
  return new RegularFileError('too-large', `${o.shownAs} ${is} the limit of ${mib(o.maxBytes)}`);
}

function checkStats(s: Stats, o: ReadRegularFileOptions): void {
  if (!s.isFile()) throw new RegularFileError('not-regular', `${o.shownAs} is ${kindOf(s)}, not a regular file`);
  if (s.size > o.maxBytes) throw tooLarge(o, s.size);
}

/** The code of a failed system call (ENOENT...), if `err` is one. */
function codeOf(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function fsProblem(err: unknown, o: ReadRegularFileOptions): RegularFileError {
  const code = codeOf(err) ?? 'unknown error';
  if (code === 'ENOENT' || code === 'ENOTDIR') return new RegularFileError('missing', `${o.shownAs}: cannot read (${code})`, { cause: err });
  if (code === 'ELOOP') return new RegularFileError('not-regular', `${o.shownAs} is a symbolic link, not a regular file (${code})`, { cause: err });
  return new RegularFileError('unreadable', `${o.shownAs}: cannot read (${code})`, { cause: err });
}

/**
 * The bytes of a regular file, at most `maxBytes` of them. A FIFO, a device, a directory or a file
 * over the cap is refused before it is opened (stat); the open itself does not block
 * (O_NONBLOCK: a FIFO swapped in after the stat cannot hang the caller), and what was opened is
 * checked again (fstat) before a byte is read; the read stops one byte past the cap, so a file
 * growing meanwhile (or one whose stat size says nothing, as in /proc) is refused too. Throws
 * RegularFileError.
 */
export function readRegularFile(path: string, o: ReadRegularFileOptions): Buffer {
  try {
    checkStats(statSync(path), o);
  } catch (err) {
    throw codeOf(err) === undefined ? err : fsProblem(err, o);
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | (o.noFollow ? constants.O_NOFOLLOW : 0));
  } catch (err) {
    throw fsProblem(err, o);
  }
  try {
    const opened = fstatSync(fd);
    checkStats(opened, o);
    o.afterOpen?.(fd);
    return readCapped(fd, opened.size, o);
  } catch (err) {
    // Failed system calls become RegularFileError; the caller's own errors (afterOpen) pass as they are.
    throw codeOf(err) === undefined ? err : fsProblem(err, o);
  } finally {
    closeSync(fd);
  }
}

/** Reads `fd` to its end, refusing it once more than `o.maxBytes` bytes have come. */
function readCapped(fd: number, sizeHint: number, o: ReadRegularFileOptions): Buffer {
  const limit = o.maxBytes + 1;
  let buf = Buffer.allocUnsafe(Math.min(Math.max(sizeHint + 1, 64 * 1024), limit));
  let n = 0;
  for (;;) {
    if (n === buf.length) {
      if (n >= limit) throw tooLarge(o);
      const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, limit));
      buf.copy(bigger, 0, 0, n);
      buf = bigger;
    }
    const got = readSync(fd, buf, n, buf.length - n, null);
    if (got === 0) return buf.subarray(0, n);
    n += got;
  }
}
