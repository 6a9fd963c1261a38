import { readFile } from 'node:fs/promises';
import type { NatsConnection } from '@nats-io/transport-node';
import { Objm, StorageType, type ObjectStore } from '@nats-io/obj';
import { artifactName, artifactsBucket } from '../../../proto/index.js';
import { errorText, type Logger } from '../../../common/index.js';
import type { ArtifactFile, ArtifactSink, TrialRef } from './host-types.js';

/**
 * Stores command trials' artifacts in a JetStream object store bucket per sweep
 * (artifactsBucket), made on first use with the sweep's cap as its max_bytes; each file under
 * `<trial id>/<name>`. A later attempt of a trial replaces the earlier attempt's files of the same
 * name. A store that fails (the bucket full, JetStream unavailable) is logged and the trial goes on.
 */
export class JetStreamArtifactSink implements ArtifactSink {
  private readonly buckets = new Map<string, Promise<ObjectStore>>();
  private readonly objm: Objm;

  constructor(
    nc: NatsConnection,
    private readonly maxSweepBytes: number,
    private readonly log: Logger,
  ) {
    this.objm = new Objm(nc);
  }

  private bucket(sweepId: string): Promise<ObjectStore> {
    let b = this.buckets.get(sweepId);
    if (!b) {
      b = this.objm.create(artifactsBucket(sweepId), { storage: StorageType.File, max_bytes: this.maxSweepBytes, description: `fairsweep artifacts of sweep ${sweepId}` });
      // A failure is not cached: the next trial tries again.
      b.catch(() => this.buckets.delete(sweepId));
      this.buckets.set(sweepId, b);
    }
    return b;
  }

  async store(trial: TrialRef, files: readonly ArtifactFile[]): Promise<string[]> {
    const stored: string[] = [];
    if (files.length === 0 || this.maxSweepBytes === 0) return stored;
    try {
      const os = await this.bucket(trial.sweepId);
      for (const f of files) {
        // Files are at most the per-trial cap (CommandOptions.maxTrialArtifactBytes).
        const name = artifactName(trial.trialId, f.name);
        await os.putBlob({ name, description: `attempt ${trial.attempt}` }, await readFile(f.path));
        stored.push(name);
      }
    } catch (err) {
      this.log.warn('artifacts not stored', { sweep: trial.sweepId, trial: trial.trialId, stored: stored.length, of: files.length, error: errorText(err) });
    }
    return stored;
  }
}
