import { open, type FileHandle } from 'node:fs/promises';

/** How often the progress file is read while the program runs. */
export const PROGRESS_POLL_MS = 250;
/** Longest progress line read; longer ones are skipped. */
export const MAX_PROGRESS_LINE = 64 * 1024;

/** One progress line: `{"step": N, "metrics": {"name": number, ...}}` (either part optional). */
export interface ProgressLine {
  step: number;
  metrics: Record<string, number>;
}

/** A progress line's fields, or undefined for a line that is not one (skipped: progress is advisory). */
export function parseProgressLine(line: string): ProgressLine | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const step = 'step' in v && typeof v.step === 'number' && Number.isFinite(v.step) ? Math.trunc(v.step) : 0;
  const metrics: Record<string, number> = {};
  if ('metrics' in v && typeof v.metrics === 'object' && v.metrics !== null) {
    for (const [k, x] of Object.entries(v.metrics)) if (typeof x === 'number' && Number.isFinite(x)) metrics[k] = x;
  }
  return { step, metrics };
}

/**
 * Follows the progress file a program appends JSON lines to (FAIRSWEEP_PROGRESS_FILE): of the
 * complete lines found at each poll, the latest is passed to `onLine`, so a program reporting
 * every step sends at most one event per PROGRESS_POLL_MS. `stop()` reads what is left and ends.
 */
export class ProgressTail {
  private offset = 0;
  private partial = '';
  private readonly timer: NodeJS.Timeout;
  private reading: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly onLine: (p: ProgressLine) => void,
  ) {
    this.timer = setInterval(() => this.poll(), PROGRESS_POLL_MS);
  }

  private poll(): void {
    this.reading = this.reading.then(() => this.read()).catch(() => undefined);
  }

  private async read(): Promise<void> {
    let fh: FileHandle;
    try {
      fh = await open(this.path, 'r');
    } catch {
      return;
    }
    let latest: ProgressLine | undefined;
    try {
      for (;;) {
        const buf = Buffer.alloc(64 * 1024);
        const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        this.partial += buf.subarray(0, bytesRead).toString('utf8');
        const lines = this.partial.split('\n');
        this.partial = lines.pop() ?? '';
        if (this.partial.length > MAX_PROGRESS_LINE) this.partial = '';
        for (const l of lines) {
          const p = l.trim() === '' ? undefined : parseProgressLine(l);
          if (p) latest = p;
        }
      }
    } finally {
      await fh.close();
    }
    if (latest) this.onLine(latest);
  }

  /** Reads the rest of the file (a last line without newline included) and stops. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.poll();
    await this.reading;
    const last = this.partial.trim() === '' ? undefined : parseProgressLine(this.partial);
    this.partial = '';
    if (last) this.onLine(last);
  }
}
