import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Objm, StorageType } from '@nats-io/obj';
import { artifactsBucket, artifactsBucketDescription } from '../../proto/index.js';
import { isNotFound } from '../../common/index.js';
import { storedObjects, type StoredObject } from './object-reader.js';

/** The artifacts of a sweep (of one trial when `trialId` is given), sorted by name; none when it has no bucket. */
export async function listArtifacts(nc: NatsConnection, sweepId: string, trialId?: string): Promise<StoredObject[]> {
  const all = (await storedObjects(await jetstreamManager(nc), artifactsBucket(sweepId))) ?? [];
  return all.filter((o) => trialId === undefined || o.name.startsWith(`${trialId}/`)).sort((a, b) => a.name.localeCompare(b.name));
}

/** Removes a sweep's artifacts bucket with everything in it; false when there was none. */
export async function removeSweepArtifacts(nc: NatsConnection, sweepId: string): Promise<boolean> {
  const jsm = await jetstreamManager(nc);
  try {
    return await jsm.streams.delete(`OBJ_${artifactsBucket(sweepId)}`);
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/**
 * Creates the artifacts bucket of a command sweep (at submit, before its shards go out): workers
 * only write into it, so they need no right to create streams. `capBytes` caps the whole sweep; it
 * travels in the bucket's description and the workers keep to it (a max_bytes would reserve that
 * much of the server's store for as long as the bucket exists).
 */
export async function createSweepArtifacts(nc: NatsConnection, sweepId: string, capBytes: number, replicas: number): Promise<void> {
  await new Objm(nc).create(artifactsBucket(sweepId), { storage: StorageType.File, replicas, description: artifactsBucketDescription(sweepId, capBytes) });
}
