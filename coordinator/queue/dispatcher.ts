import { nanos } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type NextMsgRequest, type SeqMsgRequest, type StoredMsg } from '@nats-io/jetstream';
import { SHARDS_STREAM, Shard, shardSubject, sweepConsumerName, type DatasetSpec } from '../../proto/index.js';
import { toParamMap } from '../../proto/index.js';
import type { PlannedShard } from '../spec/index.js';
import { BoundedPublish, isNotFound } from '../../common/index.js';

/** How long a worker may hold a shard without a heartbeat before JetStream redelivers it. */
export const DEFAULT_ACK_WAIT_MS = 30_000;
/** Shard publishes awaiting their JetStream ack at once. */
const PUBLISH_WINDOW = 512;

export interface ShardPlan {
  sweepId: string;
  method: string;
  dataset?: DatasetSpec;
  maxAttempts: number;
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

  /** Publishes every shard with its id as message id: a re-publish after a crash is dropped by JetStream. */
  async publish(plan: ShardPlan): Promise<void> {
    const subject = shardSubject(plan.sweepId);
    const inFlight = new BoundedPublish(PUBLISH_WINDOW);
    for (const s of plan.shards) {
      const msg: Shard = {
        id: s.id,
        sweepId: plan.sweepId,
        method: plan.method,
        dataset: plan.dataset,
        maxAttempts: plan.maxAttempts,
        trials: s.trials.map((t) => ({ id: t.id, sweepId: plan.sweepId, index: t.index, params: toParamMap(t.params), seed: t.seed })),
      };
      await inFlight.add(this.js.publish(subject, Shard.encode(msg).finish(), { msgID: s.id }));
    }
    await inFlight.drain();
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
