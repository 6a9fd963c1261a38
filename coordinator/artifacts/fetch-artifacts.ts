import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { artifactsBucket } from '../../proto/index.js';
import { listArtifacts } from './sweep-artifacts.js';
import { readObject } from './object-reader.js';

/** An artifact name that would be written outside the output directory. */
export class ArtifactPathError extends Error {
  override name = 'ArtifactPathError';
}

/**
 * Writes the artifacts of a sweep (of one trial when `trialId` is given) under `outDir`, each at
 * its name (`<trial>/a<attempt>/...`). Resolves with the names written, sorted.
 */
export async function fetchArtifacts(nc: NatsConnection, sweepId: string, trialId: string | undefined, outDir: string): Promise<string[]> {
  const infos = await listArtifacts(nc, sweepId, trialId);
  const jsm = await jetstreamManager(nc);
  const out = resolve(outDir);
  const written: string[] = [];
  for (const i of infos) {
    const path = resolve(out, i.name);
    const rel = relative(out, path);
    // Names come from the bucket: none may lead out of the output directory.
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new ArtifactPathError(`artifact name "${i.name}" leads out of ${out}`);
    const data = await readObject(jsm, artifactsBucket(sweepId), i);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(join(out, rel), data);
    written.push(i.name);
  }
  return written;
}
