import type { JetStreamAccountStats, JetStreamManager, JetStreamUsageAccountLimits } from '@nats-io/jetstream';
import { SHARDS_STREAM } from '../../proto/index.js';

/**
 * How full JetStream's file store is, as fairsweep's account sees it (`$JS.API.INFO`).
 *
 * `limitBytes` is known only when the account has a JetStream file limit of its own (nats-server
 * `accounts { A: { jetstream: { max_file } } }`, or the limit of the tier of fairsweep's replica
 * count). An account without one shares the server's `jetstream { max_file_store }`, which the
 * JetStream API does not show: the limit is then unknown and a full store is only found out when
 * JetStream refuses a write.
 */
export interface StoreUsage {
  /** File storage the account uses now, in bytes (every replica counted). */
  usedBytes: number;
  /** The account's file storage limit in bytes, when it has one. */
  limitBytes: number | undefined;
  /** Room left under the tightest known limit (the account's, or the shards stream's max_bytes), when one is known. */
  freeBytes: number | undefined;
  /** Which limit `freeBytes` comes from, for messages: "the account's limit", "the shards stream's max_bytes". */
  limitName: string | undefined;
}

/**
 * What JetStream's file store keeps for one message besides its subject, headers and payload
 * (nats-server's filestore record header and checksum, rounded up), plus the `Nats-Msg-Id` header
 * line without its value.
 */
export const MESSAGE_OVERHEAD_BYTES = 64;

/** Bytes JetStream stores for a message on `subject` with `payload` bytes and message id `msgId`. */
export function storedSize(subject: string, payload: number, msgId = ''): number {
  return MESSAGE_OVERHEAD_BYTES + Buffer.byteLength(subject) + Buffer.byteLength(msgId) + payload;
}

/** The account's file storage now, and the room left under the limits fairsweep can see. */
export async function readStoreUsage(jsm: JetStreamManager, replicas: number): Promise<StoreUsage> {
  const account = await jsm.getAccountInfo();
  const usage = limitedUsage(account, replicas);
  let freeBytes = usage.limit !== undefined ? Math.max(0, usage.limit - usage.used) : undefined;
  let limitName = usage.limit !== undefined ? "the account's JetStream limit" : undefined;
  const shards = await jsm.streams.info(SHARDS_STREAM);
  if (shards.config.max_bytes > 0) {
    const streamFree = Math.max(0, shards.config.max_bytes - shards.state.bytes);
    if (freeBytes === undefined || streamFree < freeBytes) {
      freeBytes = streamFree;
      limitName = `the ${SHARDS_STREAM} stream's max_bytes`;
    }
  }
  return { usedBytes: account.storage, limitBytes: usage.limit, freeBytes, limitName };
}

/** The usage and limit that bind: the account's own limit, else that of the tier of fairsweep's replica count. */
function limitedUsage(account: JetStreamAccountStats, replicas: number): { used: number; limit: number | undefined } {
  const tier: JetStreamUsageAccountLimits | undefined = account.tiers?.[`R${replicas}`];
  if (account.limits.max_storage > 0) return { used: account.storage, limit: account.limits.max_storage };
  if (tier && tier.limits.max_storage > 0) return { used: tier.storage, limit: tier.limits.max_storage };
  return { used: account.storage, limit: undefined };
}

/** A byte count for messages: 1.5 MiB, 812 KiB, 96 B. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? String(Math.round(v)) : v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}
