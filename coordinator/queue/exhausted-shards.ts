import type { JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import { ID_PATTERN, SHARDS_STREAM, decodeShardOn, sweepConsumerName, type Shard } from '../../proto/index.js';
import { errorText, isNotFound, type Logger } from '../../common/index.js';
import type { ExhaustedClaim } from './advisories.js';
import type { Dispatcher } from './dispatcher.js';

/** Claims JetStream could not confirm yet that are remembered to be checked again (beyond it, later ones wait for reconcile). */
export const MAX_UNCONFIRMED_CLAIMS = 10_000;
/**
 * A shard is handled as exhausted only when two checks this far apart both say so: an acked shard
 * leaves its consumer's pending set a moment before the work queue removes it from the stream.
 */
export const CONFIRM_GAP_MS = 250;
/** Advisories checked against JetStream at once; more (a flood) wait for the periodic check. */
export const MAX_CONCURRENT_CHECKS = 64;

const SHARD_SUBJECT_PREFIX = 'fairsweep.shards.';

/**
 * What JetStream says of a shard said to be exhausted:
 * - `exhausted`: stored, delivered by its sweep's consumer, and no longer held by it;
 * - `held`: stored and still its consumer's to deliver (queued, running, or waiting for a redelivery);
 * - `gone`: not stored (acked, terminated, purged, or never there);
 * - `refused`: the claim contradicts JetStream (another consumer, another delivery count).
 */
export type ExhaustionVerdict =
  | { kind: 'exhausted'; stored: StoredMsg }
  | { kind: 'held' }
  | { kind: 'gone' }
  | { kind: 'refused'; why: string };

export interface ExhaustedShardHandlers {
  /** A confirmed exhausted shard: record failed results for its trials. A throw leaves the shard to be tried again. */
  exhausted(shard: Shard): Promise<void>;
  /** A confirmed exhausted message that is not a shard of its subject's sweep: it is deleted. */
  malformed(subject: string, err: unknown): void;
  /** An advisory whose claim JetStream contradicts: nothing is done. */
  refused(claim: ExhaustedClaim, why: string): void;
  log: Logger;
}

/**
 * Shards that ran out of delivery attempts, as JetStream itself reports them. A max-deliveries
 * advisory is a claim anyone allowed to publish on its subject can make, so before a trial is
 * failed the shard is checked against the stream and its sweep's consumer (`check`), twice,
 * CONFIRM_GAP_MS apart. The server reports no delivery count per message: a stored shard that the
 * consumer delivered and no longer holds (nothing awaiting an ack or a redelivery) is one it gave
 * up on after max_deliver deliveries, since a work-queue stream removes a shard once it is acked
 * or terminated (a server that moves its ack floor past such a shard says so for that shard
 * alone). While the consumer holds other shards a real claim cannot be confirmed yet: it is kept
 * and checked again on each `recheck` (the coordinator's periodic check) until confirmed or the
 * shard is gone. A forged claim about a queued or running shard thus fails nothing.
 */
export class ExhaustedShards {
  private readonly unconfirmed = new Set<number>();
  /** Shard sequences being handled now. */
  private readonly busy = new Set<number>();
  private checking = 0;

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly dispatcher: Dispatcher,
    private readonly h: ExhaustedShardHandlers,
  ) {}

  /** Claims waiting for JetStream to confirm them. */
  get waiting(): number {
    return this.unconfirmed.size;
  }

  /** A max-deliveries advisory: handled now if JetStream confirms it, remembered if it cannot yet. */
  async claim(claim: ExhaustedClaim): Promise<void> {
    if (this.checking >= MAX_CONCURRENT_CHECKS) {
      this.remember(claim.seq);
      return;
    }
    this.checking++;
    try {
      await this.examine(claim.seq, claim);
    } finally {
      this.checking--;
    }
  }

  /** A shard the periodic check found stuck (its advisory may have been missed). */
  async suspect(seq: number): Promise<void> {
    await this.examine(seq, undefined);
  }

  /** Checks every claim not confirmed yet again. */
  async recheck(): Promise<void> {
    for (const seq of [...this.unconfirmed]) await this.examine(seq, undefined);
  }

  private async examine(seq: number, claim: ExhaustedClaim | undefined): Promise<void> {
    try {
      let verdict = await this.check(seq, claim);
      if (verdict.kind === 'exhausted') {
        await new Promise((resolve) => setTimeout(resolve, CONFIRM_GAP_MS));
        verdict = await this.check(seq, claim);
      }
      if (verdict.kind !== 'held') this.unconfirmed.delete(seq);
      switch (verdict.kind) {
        case 'held':
          this.remember(seq);
          return;
        case 'refused':
          if (claim) this.h.refused(claim, verdict.why);
          return;
        case 'gone':
          return;
        case 'exhausted':
          await this.handleOnce(verdict.stored);
      }
    } catch (err) {
      this.remember(seq);
      this.h.log.warn('checking an exhausted shard failed; will retry', { seq, error: errorText(err) });
    }
  }

  private remember(seq: number): void {
    if (this.unconfirmed.size < MAX_UNCONFIRMED_CLAIMS) this.unconfirmed.add(seq);
  }

  /** An advisory and the periodic check may confirm the same shard at once: it is handled once at a time. */
  private async handleOnce(stored: StoredMsg): Promise<void> {
    if (this.busy.has(stored.seq)) return;
    this.busy.add(stored.seq);
    try {
      await this.handle(stored);
    } finally {
      this.busy.delete(stored.seq);
    }
  }

  /** JetStream's verdict on the shard at `seq`, and on the advisory's claim when there is one. */
  async check(seq: number, claim?: ExhaustedClaim): Promise<ExhaustionVerdict> {
    const stored = await this.dispatcher.getShard(seq);
    if (!stored) return { kind: 'gone' };
    const sweepId = stored.subject.startsWith(SHARD_SUBJECT_PREFIX) ? stored.subject.slice(SHARD_SUBJECT_PREFIX.length) : '';
    // A message on no sweep's subject is delivered by no consumer of ours.
    if (!ID_PATTERN.test(sweepId)) return claim ? { kind: 'refused', why: `stream sequence ${seq} is not on a sweep's shard subject` } : { kind: 'held' };
    const consumer = sweepConsumerName(sweepId);
    if (claim && claim.consumer !== consumer) return { kind: 'refused', why: `shard ${seq} belongs to consumer ${consumer}, not ${claim.consumer}` };
    const info = await this.jsm.consumers.info(SHARDS_STREAM, consumer).catch((err: unknown) => {
      if (isNotFound(err)) return null;
      throw err;
    });
    // No consumer: the sweep has ended and its shards are being removed.
    if (!info) return { kind: 'gone' };
    const maxDeliver = info.config.max_deliver ?? -1;
    if (claim?.deliveries !== undefined && claim.deliveries !== maxDeliver) {
      return { kind: 'refused', why: `claims ${claim.deliveries} deliveries of shard ${seq}; its consumer delivers at most ${maxDeliver}` };
    }
    if (info.delivered.stream_seq < seq) return { kind: 'held' };
    // Servers that move the ack floor past a message given up on say so for this very shard;
    // otherwise the consumer must hold nothing at all (nats-server 2.9 keeps its floor below it).
    if (seq > info.ack_floor.stream_seq && info.num_ack_pending > 0) return { kind: 'held' };
    // Still stored after the consumer let go of it: not acked, not terminated.
    return (await this.dispatcher.getShard(seq)) ? { kind: 'exhausted', stored } : { kind: 'gone' };
  }

  /** Fails the trials of a confirmed exhausted shard (or counts a malformed one), then deletes it. */
  private async handle(stored: StoredMsg): Promise<void> {
    let shard: Shard;
    try {
      shard = decodeShardOn(stored.subject, stored.data);
    } catch (err) {
      this.h.malformed(stored.subject, err);
      await this.dispatcher.deleteShard(stored.seq);
      return;
    }
    await this.h.exhausted(shard);
    await this.dispatcher.deleteShard(stored.seq);
  }
}
