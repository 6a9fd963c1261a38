/**
 * At most `window` publishes awaiting their JetStream ack at once: pipelining without letting an
 * unbounded number of requests (and their payloads) pile up in the client.
 *
 * ```ts
 * const window = new BoundedPublish(256);
 * for (const m of messages) await window.add(js.publish(subject, m));
 * await window.drain();
 * ```
 */
export class BoundedPublish {
  private readonly pending = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(readonly window: number) {
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`BoundedPublish window: expected an integer of at least 1, got ${window}`);
  }

  /** Publishes awaiting their ack now. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Tracks `publish` (drain waits for it whatever happens), then waits while `window` publishes
   * are in flight. Throws the first error of any publish added so far, so a caller stops
   * publishing once one has failed.
   */
  async add(publish: Promise<unknown>): Promise<void> {
    const tracked: Promise<void> = publish.then(
      () => {
        this.pending.delete(tracked);
      },
      (error: unknown) => {
        this.pending.delete(tracked);
        this.failure ??= { error };
      },
    );
    this.pending.add(tracked);
    this.throwIfFailed();
    while (this.pending.size >= this.window) await Promise.race(this.pending);
    this.throwIfFailed();
  }

  /** Waits until every publish added has settled, then throws the first error among them, if any. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
