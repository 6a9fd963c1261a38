import { SlotOccupiedError, errorText, isAlreadyRecorded, isNoAnswer, isStoreFull, type Logger } from '../../common/index.js';

/** First wait after JetStream refused a result; doubled after each refused retry, up to STORE_BACKOFF_MAX_MS. */
export const STORE_BACKOFF_BASE_MS = 1_000;
export const STORE_BACKOFF_MAX_MS = 60_000;

export interface StoreBackoffEvents {
  /** A back-off episode began: shards held ahead are to be handed back. */
  onStart(): void;
  /** The wait changed (0 when the episode ended), for the worker's gauge. */
  onDelay(ms: number): void;
}

/**
 * What a worker does while its results cannot be stored (JetStream's store full, or JetStream not
 * answering): an episode that begins at the first refused result and ends at the first result
 * stored. Meanwhile the worker takes no shard; each refused shard is handed back for as long as the
 * current wait (`refused` returns it for the nak); and after each wait the refused result itself is
 * published again: a probe that costs no shard a delivery attempt. A refused probe doubles the wait,
 * up to STORE_BACKOFF_MAX_MS. Logged once when the episode begins and once when it ends.
 */
export class StoreBackoff {
  private delayMs = 0;
  private startedAt = 0;
  private refusals = 0;
  private probe: (() => Promise<unknown>) | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly log: Logger,
    private readonly events: StoreBackoffEvents,
    private readonly baseMs = STORE_BACKOFF_BASE_MS,
    private readonly maxMs = STORE_BACKOFF_MAX_MS,
  ) {}

  /** Results cannot be stored now: take no shard. */
  get active(): boolean {
    return this.delayMs > 0;
  }

  /** The current wait in ms; 0 outside an episode. */
  get delay(): number {
    return this.delayMs;
  }

  /**
   * A result was refused; `retry` publishes it again. Begins an episode (logged) unless one is on.
   * Returns how long to hand the shard back for.
   */
  refused(err: unknown, retry: () => Promise<unknown>): number {
    this.refusals++;
    this.probe = retry;
    if (this.active) return this.delayMs;
    this.startedAt = Date.now();
    this.setDelay(this.baseMs);
    this.log.warn(`results cannot be stored: ${cause(err)}; shards are handed back and none is taken until a result is stored again (retried after ${this.baseMs} ms, then up to every ${this.maxMs} ms)`, {
      error: errorText(err),
    });
    this.events.onStart();
    return this.delayMs;
  }

  /** A result was stored: the episode, if one is on, is over. */
  stored(): void {
    if (!this.active) return;
    this.log.info('results are stored again; taking shards', { after_ms: Date.now() - this.startedAt, refused: this.refusals });
    this.refusals = 0;
    this.probe = undefined;
    this.setDelay(0);
    this.wake?.();
  }

  /**
   * Waits out the episode: after each wait the refused result is published again, until one is
   * stored (or the trial turns out recorded already) or `signal` aborts.
   */
  async wait(signal: AbortSignal): Promise<void> {
    while (this.active && !signal.aborted) {
      await this.sleep(this.delayMs, signal);
      if (!this.active || signal.aborted) return;
      const probe = this.probe;
      if (!probe) return;
      try {
        await probe();
        this.stored();
      } catch (err) {
        if (isAlreadyRecorded(err)) {
          this.stored();
          return;
        }
        this.refusals++;
        this.setDelay(Math.min(this.maxMs, this.delayMs * 2));
        this.log.debug('result still refused', { error: errorText(err), next_ms: this.delayMs });
      }
    }
  }

  private setDelay(ms: number): void {
    this.delayMs = ms;
    this.events.onDelay(ms);
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }
}

function cause(err: unknown): string {
  if (isStoreFull(err)) return "JetStream's store is full";
  if (isNoAnswer(err)) return 'JetStream does not answer';
  if (err instanceof SlotOccupiedError) return "a message that is not a result holds a result's place (a coordinator deletes it)";
  return 'JetStream refused them';
}
