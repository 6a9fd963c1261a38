import { readFile } from 'node:fs/promises';
import type { NatsConnection } from '@nats-io/transport-node';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { artifactName, artifactsBucket, artifactsCapOf } from '../../../proto/index.js';
import { errorText, type Logger } from '../../../common/index.js';
import type { ArtifactFile, ArtifactSink, TrialRef } from './host-types.js';

/**
 * Stores command trials' artifacts in their sweep's JetStream object store bucket (artifactsBucket,
 * made by the coordinator with the sweep's cap as max_bytes); each file under
 * `<trial id>/a<attempt>/<name>`, so no attempt overwrites another's (an overwrite would need the
 * right to purge the stream). A store that fails (the bucket full, JetStream unavailable) is
 * logged and the trial goes on.
 */
export class JetStreamArtifactSink implements ArtifactSink {
  private readonly buckets = new Map<string, Promise<ObjectStore>>();
  private readonly objm: Objm;

  constructor(
    nc: NatsConnection,
    private readonly log: Logger,
  ) {
    this.objm = new Objm(nc);
  }

  private bucket(sweepId: string): Promise<ObjectStore> {
    let b = this.buckets.get(sweepId);
    if (!b) {
      // The coordinator made it at submit (createSweepArtifacts): workers may not create streams.
      b = this.objm.open(artifactsBucket(sweepId));
      // A failure is not cached: the next trial tries again.
      b.catch(() => this.buckets.delete(sweepId));
      this.buckets.set(sweepId, b);
    }
    return b;
  }

  async store(trial: TrialRef, files: readonly ArtifactFile[]): Promise<string[]> {
    const stored: string[] = [];
    if (files.length === 0) return stored;
    try {
      const os = await this.bucket(trial.sweepId);
      // The sweep's cap (artifacts_mb, in the bucket's description) less what its bucket holds:
      // files that do not fit are left out, smallest kept first. Workers storing at the same time
      // may together pass it by up to one trial's artifacts each.
      const status = await os.status();
      let room = (artifactsCapOf(status.description) ?? Infinity) - status.size;
      const fitting = [...files].sort((a, b) => a.size - b.size).filter((f) => (f.size <= room ? ((room -= f.size), true) : false));
      if (fitting.length < files.length) this.log.warn('artifacts over the sweep\'s artifacts_mb left out', { sweep: trial.sweepId, trial: trial.trialId, left_out: files.length - fitting.length });
      for (const f of fitting) {
        // Files are at most the per-trial cap (CommandOptions.maxTrialArtifactBytes).
        const name = artifactName(trial.trialId, `a${trial.attempt}/${f.name}`);
        await os.putBlob({ name, description: `attempt ${trial.attempt}` }, await readFile(f.path));
        stored.push(name);
      }
    } catch (err) {
      this.log.warn('artifacts not stored', { sweep: trial.sweepId, trial: trial.trialId, stored: stored.length, of: files.length, error: errorText(err) });
    }
    return stored;
  }
}
