import type { NatsConnection } from '@nats-io/transport-node';
import { Objm, StorageType, type ObjectInfo, type ObjectStore } from '@nats-io/obj';
import { artifactsBucket } from '../../proto/index.js';

/** The artifacts bucket of a sweep, or undefined when it has none (no command trial stored any). */
export async function openArtifacts(nc: NatsConnection, sweepId: string): Promise<ObjectStore | undefined> {
  try {
    return await new Objm(nc).open(artifactsBucket(sweepId));
  } catch (err) {
    if (err instanceof Error && /not found/i.test(err.message)) return undefined;
    throw err;
  }
}

/** The artifacts of a sweep (of one trial when `trialId` is given), by name. */
export async function listArtifacts(nc: NatsConnection, sweepId: string, trialId?: string): Promise<ObjectInfo[]> {
  const os = await openArtifacts(nc, sweepId);
  if (!os) return [];
  const all = await os.list();
  return all.filter((o) => !o.deleted && (trialId === undefined || o.name.startsWith(`${trialId}/`))).sort((a, b) => a.name.localeCompare(b.name));
}

/** Removes a sweep's artifacts bucket with everything in it; false when there was none. */
export async function removeSweepArtifacts(nc: NatsConnection, sweepId: string): Promise<boolean> {
  const os = await openArtifacts(nc, sweepId);
  if (!os) return false;
  return os.destroy();
}

/**
 * Creates the artifacts bucket of a command sweep (at submit, before its shards go out): workers
 * only write into it, so they need no right to create streams. `maxBytes` caps the whole sweep.
 */
export async function createSweepArtifacts(nc: NatsConnection, sweepId: string, maxBytes: number, replicas: number): Promise<void> {
  await new Objm(nc).create(artifactsBucket(sweepId), { storage: StorageType.File, max_bytes: maxBytes, replicas, description: `fairsweep artifacts of sweep ${sweepId}` });
}
