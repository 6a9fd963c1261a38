import type { JsMsg } from '@nats-io/jetstream';
import { ShardHeartbeat } from './shard-heartbeat.js';

/**
 * Shards a worker holds per slot beyond the running ones, fetched while every slot is busy: slots
 * started together free together, and each then starts a held shard instead of waiting for a fetch.
 */
export const PREFETCH_PER_SLOT = 1;
/** Weight of the newest shard in the moving average of shard durations. */
export const SHARD_MS_ALPHA = 0.3;

/** What the scheduler does with a message it holds: heartbeats, and nak on drain. */
export type HeldMessage = Pick<JsMsg, 'working' | 'nak'>;

/** A fetched shard and its consumer's ack deadline. */
export interface FetchedShard<M extends HeldMessage = JsMsg> {
  msg: M;
  ackWaitMs: number;
}

/**
 * The scheduling policy of a worker's slots: how many shards to fetch, whether a fetched shard
 * starts now or is held (heartbeating) for the next free slot, and which held shard a freed slot
 * starts. It runs nothing itself: the worker starts the shards it is told to.
 */
export class SlotScheduler<M extends HeldMessage = JsMsg> {
  /** Slots whose shard is still running trials (a shard frees its slot before its final acks). */
  private busySlots = 0;
  /** Shards fetched ahead while every slot is busy, so a freed slot starts at once. */
  private readonly held: (FetchedShard<M> & { heartbeat: ShardHeartbeat })[] = [];
  /** Moving average of how long shards held their slot (ms); undefined before the first. */
  private shardMs: number | undefined;

  constructor(
    readonly slots: number,
    /** Prefetch only while shards take less than this on average (WorkerOptions.prefetchMaxShardMs). */
    private readonly prefetchMaxShardMs: number,
  ) {}

  get busy(): number {
    return this.busySlots;
  }

  /**
   * Shards to fetch now: enough to fill the idle slots; then one per slot to hold ready only while
   * shards are short here and no running shard is a redelivery (`redeliveryRunning`). A redelivered
   * shard may be a poison that kills this process, and a shard held beside it would lose a
   * delivery attempt with it.
   */
  wanted(redeliveryRunning: boolean): number {
    const idle = this.slots - this.busySlots - this.held.length;
    if (idle > 0) return idle;
    if (this.shardMs === undefined || this.shardMs >= this.prefetchMaxShardMs || redeliveryRunning) return 0;
    return this.slots - this.busySlots + PREFETCH_PER_SLOT * this.slots - this.held.length;
  }

  /** A fetched shard: true when it takes a free slot now (start it), false when it is held for the next. */
  admit(shard: FetchedShard<M>): boolean {
    if (this.busySlots < this.slots) {
      this.busySlots++;
      return true;
    }
    this.held.push({ ...shard, heartbeat: new ShardHeartbeat(shard.msg, shard.ackWaitMs) });
    return false;
  }

  /**
   * A shard freed its slot after `ms`. Returns the held shard that takes the slot at once when
   * `startHeld` (the worker is running), else undefined and the slot is idle.
   */
  release(ms: number, startHeld: boolean): FetchedShard<M> | undefined {
    this.shardMs = this.shardMs === undefined ? ms : this.shardMs + SHARD_MS_ALPHA * (ms - this.shardMs);
    this.busySlots--;
    const next = startHeld ? this.held.shift() : undefined;
    if (!next) return undefined;
    next.heartbeat.stop();
    this.busySlots++;
    return { msg: next.msg, ackWaitMs: next.ackWaitMs };
  }

  /** Gives every held shard back to the queue (drain). */
  returnHeld(): void {
    for (const h of this.held.splice(0)) {
      h.heartbeat.stop();
      h.msg.nak();
    }
  }
}
