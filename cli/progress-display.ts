import cliProgress from 'cli-progress';
import type { Progress } from '../proto/index.js';

export type DisplayMode = 'bar' | 'lines' | 'quiet';

/**
 * Live sweep progress on stderr: a bar on a terminal, a line every few seconds otherwise,
 * nothing in quiet mode. Shows done/total, ok, failed, running, throughput, ETA and frontier size.
 */
export class ProgressDisplay {
  private bar: cliProgress.SingleBar | undefined;
  private lastLine = 0;
  private lastDone = -1;
  private first: { ms: number; done: number } | undefined;

  constructor(private readonly mode: DisplayMode = process.stderr.isTTY ? 'bar' : 'lines') {}

  update(p: Progress): void {
    const done = p.ok + p.failed;
    const rate = this.rate(p, done);
    const eta = rate > 0 ? Math.round((p.total - done) / rate) : 0;
    const fields = { ok: p.ok, failed: p.failed, running: p.running, rate: rate.toFixed(rate < 10 ? 2 : 0), etaText: done >= p.total ? '0s' : rate > 0 ? formatDuration(eta) : '?', frontier: p.frontierSize };
    if (this.mode === 'bar') {
      if (!this.bar) {
        this.bar = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: '{bar} {value}/{total} | ok {ok} failed {failed} running {running} | {rate}/s | ETA {etaText} | frontier {frontier}',
            hideCursor: true,
            clearOnComplete: false,
          },
          cliProgress.Presets.shades_classic,
        );
        this.bar.start(p.total, done, fields);
      } else this.bar.update(done, fields);
    } else if (this.mode === 'lines' && (Date.now() - this.lastLine > 2000 || (done === p.total && this.lastDone !== done))) {
      this.lastLine = Date.now();
      this.lastDone = done;
      process.stderr.write(`${done}/${p.total} done | ok ${p.ok} failed ${p.failed} running ${p.running} | ${fields.rate}/s | ETA ${fields.etaText} | frontier ${p.frontierSize}\n`);
    }
  }

  /**
   * Trials per second. Measured from the first update seen (a `watch` may join a sweep half done);
   * until a trial finishes after that, from the sweep's creation time when the progress carries it.
   */
  private rate(p: Progress, done: number): number {
    const now = Date.now();
    this.first ??= { ms: now, done };
    const since = (now - this.first.ms) / 1000;
    if (done > this.first.done && since > 0) return (done - this.first.done) / since;
    const created = Number(p.createdAtMs);
    if (created > 0 && now > created && done > 0) return done / ((now - created) / 1000);
    return 0;
  }

  stop(): void {
    this.bar?.stop();
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '0s';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}
