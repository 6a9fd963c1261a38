import cliProgress from 'cli-progress';
import type { Progress } from '../../proto/index.js';

export type DisplayMode = 'bar' | 'lines' | 'quiet';

/**
 * Live sweep progress on stderr: a bar on a terminal, a line every few seconds otherwise,
 * nothing in quiet mode. Shows done/total, ok, failed, running, throughput, ETA and frontier size.
 */
export class ProgressDisplay {
  private bar: cliProgress.SingleBar | undefined;
  private lastLine = 0;
  private readonly startedMs = Date.now();

  constructor(private readonly mode: DisplayMode = process.stderr.isTTY ? 'bar' : 'lines') {}

  update(p: Progress): void {
    const done = p.ok + p.failed;
    const elapsed = (Date.now() - this.startedMs) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const eta = rate > 0 ? Math.round((p.total - done) / rate) : 0;
    const fields = { ok: p.ok, failed: p.failed, running: p.running, rate: rate.toFixed(rate < 10 ? 2 : 0), etaText: formatDuration(eta), frontier: p.frontierSize };
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
    } else if (this.mode === 'lines' && (Date.now() - this.lastLine > 2000 || done === p.total)) {
      this.lastLine = Date.now();
      process.stderr.write(`${done}/${p.total} done | ok ${p.ok} failed ${p.failed} running ${p.running} | ${fields.rate}/s | ETA ${fields.etaText} | frontier ${p.frontierSize}\n`);
    }
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
