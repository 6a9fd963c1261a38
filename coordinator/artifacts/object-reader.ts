import { createHash } from 'node:crypto';
import type { JetStreamManager } from '@nats-io/jetstream';
import { isNotFound } from '../../common/index.js';

/**
 * Reads a JetStream object store bucket (as @nats-io/obj writes it) with direct gets only: the
 * metadata messages on `$O.<bucket>.M.>` and each object's chunks on `$O.<bucket>.C.<nuid>`, one
 * message at a time by `next_by_subj`. A reader then needs no consumer at all: the NATS client
 * role can read artifacts without the right to create consumers or pull from them.
 */

/** One stored object, from its metadata message. */
export interface StoredObject {
  name: string;
  size: number;
  nuid: string;
  /** `SHA-256=<base64url>` of the whole object. */
  digest: string;
}

/** An object that cannot be read back whole, or whose digest does not match. */
export class ArtifactReadError extends Error {
  override name = 'ArtifactReadError';
}

const streamOf = (bucket: string): string => `OBJ_${bucket}`;

function objectMeta(data: Uint8Array): (StoredObject & { deleted: boolean }) | undefined {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || !('name' in v) || typeof v.name !== 'string') return undefined;
  const deleted = 'deleted' in v && v.deleted === true;
  const size = 'size' in v && typeof v.size === 'number' ? v.size : 0;
  const nuid = 'nuid' in v && typeof v.nuid === 'string' ? v.nuid : '';
  const digest = 'digest' in v && typeof v.digest === 'string' ? v.digest : '';
  return { name: v.name, size, nuid, digest, deleted };
}

/** The live objects of a bucket by name, or undefined when there is no such bucket. */
export async function storedObjects(jsm: JetStreamManager, bucket: string): Promise<StoredObject[] | undefined> {
  const stream = streamOf(bucket);
  try {
    await jsm.streams.info(stream);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const latest = new Map<string, StoredObject>();
  for (let seq = 1; ; ) {
    const m = await jsm.direct.getMessage(stream, { seq, next_by_subj: `$O.${bucket}.M.>` });
    if (!m) break;
    seq = m.seq + 1;
    const meta = objectMeta(m.data);
    if (!meta) continue;
    if (meta.deleted) latest.delete(meta.name);
    else latest.set(meta.name, { name: meta.name, size: meta.size, nuid: meta.nuid, digest: meta.digest });
  }
  return [...latest.values()];
}

/** The bytes of one object, checked against its size and SHA-256 digest. */
export async function readObject(jsm: JetStreamManager, bucket: string, o: StoredObject): Promise<Uint8Array> {
  const stream = streamOf(bucket);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let seq = 1; total < o.size; ) {
    const m = await jsm.direct.getMessage(stream, { seq, next_by_subj: `$O.${bucket}.C.${o.nuid}` });
    if (!m) throw new ArtifactReadError(`${o.name}: only ${total} of its ${o.size} bytes are stored`);
    seq = m.seq + 1;
    parts.push(m.data);
    total += m.data.length;
  }
  const data = Buffer.concat(parts);
  const digest = `SHA-256=${createHash('sha256').update(data).digest('base64url')}`;
  if (total !== o.size || (o.digest !== '' && o.digest.replace(/=+$/, '') !== digest.replace(/=+$/, ''))) {
    throw new ArtifactReadError(`${o.name}: the stored bytes do not match its size or digest`);
  }
  return data;
}
