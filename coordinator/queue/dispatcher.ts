import { nanos } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, type JetStreamClient, type PubAck, type JetStreamManager, type NextMsgRequest, type SeqMsgRequest, type StoredMsg } from '@nats-io/jetstream';
import { SHARDS_STREAM, Shard, shardSubject, sweepConsumerName, type DatasetSpec } from '../../proto/index.js';
import { toParamMap } from '../../proto/index.js';
import type { PlannedShard } from '../spec/index.js';
import { BoundedPublish, isNotFound } from '../../common/index.js';

/** How long a worker may hold a shard without a heartbeat before JetStream redelivers it. */
export const DEFAULT_ACK_WAIT_MS = 30_000;
/** Shard publishes awaiting their JetStream ack at once. */
const PUBLISH_WINDOW = 512;
/** Shard deletions awaiting their answer at once when a dispatch is taken back. */
const DISCARD_WINDOW = 64;

/** One shard message, ready to publish. */
export interface EncodedShard {
  id: string;
  subject: string;
  data: Uint8Array;
}

export interface ShardPlan {
  sweepId: string;
  method: string;
  dataset?: DatasetSpec;
  maxAttempts: number;
  /** The spec's `pack` (proto/pack.ts); absent: auto. */
  pack?: number;
  shards: readonly PlannedShard[];
}

/** Puts sweeps' shards on the work queue and takes them off it. */
export class Dispatcher {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly ackWaitMs = DEFAULT_ACK_WAIT_MS,
  ) {}

  /** The sweep's durable pull consumer: JetStream counts deliveries and stops at max_attempts. */
  async ensureConsumer(sweepId: string, maxAttempts: number): Promise<void> {
    await this.jsm.consumers.add(SHARDS_STREAM, {
      durable_name: sweepConsumerName(sweepId),
      filter_subject: shardSubject(sweepId),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(this.ackWaitMs),
      max_deliver: maxAttempts,
      max_ack_pending: 20_000,
      max_waiting: 4096,
    });
  }

  /** The shard messages of a plan, encoded: what `publish` sends and what `storedBytes` measures. */
  encode(plan: ShardPlan): EncodedShard[] {
    const subject = shardSubject(plan.sweepId);
    return plan.shards.map((s) => {
      const msg: Shard = {
        id: s.id,
        sweepId: plan.sweepId,
        method: plan.method,
        dataset: plan.dataset,
        maxAttempts: plan.maxAttempts,
        pack: plan.pack ?? 0,
        trials: s.trials.map((t) => ({ id: t.id, sweepId: plan.sweepId, index: t.index, params: toParamMap(t.params), seed: t.seed })),
      };
      return { id: s.id, subject, data: Shard.encode(msg).finish() };
    });
  }

  /**
   * Publishes every shard with its id as message id: a re-publish after a crash is dropped by
   * JetStream. The stream sequence of each shard JetStream stored is pushed to `stored` (also when
   * a later one fails), so that what was published can be taken back.
   */
  async publish(shards: readonly EncodedShard[], stored: number[] = []): Promise<void> {
    const inFlight = new BoundedPublish(PUBLISH_WINDOW);
    const record = (ack: PubAck): void => {
      if (!ack.duplicate) stored.push(ack.seq);
    };
    try {
      for (const s of shards) await inFlight.add(this.js.publish(s.subject, s.data, { msgID: s.id }).then(record));
    } catch (err) {
      // Every publish settles before this throws: `stored` is then complete.
      await inFlight.drain().catch(() => undefined);
      throw err;
    }
    await inFlight.drain();
  }

  /**
   * Takes back what a dispatch stored: the consumer, the shards at `seqs` one by one (JetStream
   * counts the room each frees; nats-server before 2.9.15 does not for a purge by subject, see
   * nats-server#3876), then whatever else is left on the sweep's subject.
   */
  async discard(sweepId: string, seqs: readonly number[]): Promise<void> {
    await this.jsm.consumers.delete(SHARDS_STREAM, sweepConsumerName(sweepId)).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
    const deleting = new BoundedPublish(DISCARD_WINDOW);
    for (const seq of seqs) await deleting.add(this.deleteShard(seq));
    await deleting.drain();
    await this.jsm.streams.purge(SHARDS_STREAM, { filter: shardSubject(sweepId) });
  }

  /** Deletes the sweep's consumer and the shards still queued for it. */
  async remove(sweepId: string): Promise<void> {
    await this.jsm.consumers.delete(SHARDS_STREAM, sweepConsumerName(sweepId)).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
    await this.jsm.streams.purge(SHARDS_STREAM, { filter: shardSubject(sweepId) });
  }

  /** Waiting and in-flight shard counts of a sweep, or undefined when its consumer is gone. */
  async depth(sweepId: string): Promise<{ pending: number; inFlight: number } | undefined> {
    try {
      const ci = await this.jsm.consumers.info(SHARDS_STREAM, sweepConsumerName(sweepId));
      return { pending: ci.num_pending, inFlight: ci.num_ack_pending };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Shard messages still stored for a sweep (the ones not acked), in stream order. */
  async remaining(sweepId: string, limit = 10_000): Promise<StoredMsg[]> {
    const out: StoredMsg[] = [];
    let seq = 0;
    while (out.length < limit) {
      // STREAM.MSG.GET with next_by_subj: first message of the subject at or after seq. The
      // server takes next_by_subj on this API as well; the client's request type names only seq.
      const query: NextMsgRequest & SeqMsgRequest = { seq, next_by_subj: shardSubject(sweepId) };
      const m = await this.jsm.streams
        .getMessage(SHARDS_STREAM, query)
        .catch((err: unknown) => {
          if (isNotFound(err)) return null;
          throw err;
        });
      if (!m) break;
      out.push(m);
      seq = m.seq + 1;
    }
    return out;
  }

  async getShard(seq: number): Promise<StoredMsg | null> {
    return this.jsm.streams.getMessage(SHARDS_STREAM, { seq }).catch((err: unknown) => {
      if (isNotFound(err)) return null;
      throw err;
    });
  }

  async deleteShard(seq: number): Promise<void> {
    await this.jsm.streams.deleteMessage(SHARDS_STREAM, seq).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }
}
