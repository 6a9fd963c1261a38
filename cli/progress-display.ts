import cliProgress from 'cli-progress';
import type { Progress, TrialEvent } from '../proto/index.js';
import { trialProgressLine } from './progress-format.js';

export type DisplayMode = 'bar' | 'lines' | 'quiet';

/** In lines mode, a trial's progress reports are printed at most this often. */
export const TRIAL_PROGRESS_LINE_MS = 2_000;

/**
 * Live sweep progress on stderr: a bar on a terminal, a line every few seconds otherwise,
 * nothing in quiet mode. Shows done/total, ok, failed, running, throughput, ETA and frontier size.
 */
export class ProgressDisplay {
  private bar: cliProgress.SingleBar | undefined;
  private lastLine = 0;
  private lastDone = -1;
  private first: { ms: number; done: number } | undefined;
  /** The latest trial progress report, and when each trial's last was printed. */
  private latest: string | undefined;
  private readonly trialLines = new Map<string, number>();

  constructor(private readonly mode: DisplayMode = process.stderr.isTTY ? 'bar' : 'lines') {}

  update(p: Progress): void {
    const done = p.ok + p.failed + (p.pruned ?? 0);
    const rate = this.rate(p, done);
    const eta = rate > 0 ? Math.round((p.total - done) / rate) : 0;
    const fields = { latest: this.latest ? ` | ${this.latest}` : '', ok: p.ok, failed: p.failed, running: p.running, rate: rate.toFixed(rate < 10 ? 2 : 0), etaText: done >= p.total ? '0s' : rate > 0 ? formatDuration(eta) : '?', frontier: p.frontierSize };
    if (this.mode === 'bar') {
      if (!this.bar) {
        this.bar = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: '{bar} {value}/{total} | ok {ok} failed {failed} running {running} | {rate}/s | ETA {etaText} | frontier {frontier}{latest}',
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
      process.stderr.write(`${done}/${p.total} done | ok ${p.ok} failed ${p.failed}${p.pruned ? ` pruned ${p.pruned}` : ''} running ${p.running} | ${fields.rate}/s | ETA ${fields.etaText} | frontier ${p.frontierSize}\n`);
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

  /**
   * A running trial's own progress report (command trials): the bar shows the latest; lines mode
   * prints them, at most one per TRIAL_PROGRESS_LINE_MS per trial.
   */
  trialProgress(ev: TrialEvent): void {
    this.latest = trialProgressLine(ev);
    if (this.mode !== 'lines') return;
    const now = Date.now();
    if (now - (this.trialLines.get(ev.trialId) ?? 0) < TRIAL_PROGRESS_LINE_MS) return;
    this.trialLines.set(ev.trialId, now);
    process.stderr.write(`  ${this.latest}\n`);
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
