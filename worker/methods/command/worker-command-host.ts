import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { NatsConnection } from '@nats-io/transport-node';
import { TrialEvent, TrialEvent_Kind, eventSubject } from '../../../proto/index.js';
import { errorText, type Logger } from '../../../common/index.js';
import { defaultWorkDirPrefix, type CompiledCommandOptions } from './command-options.js';
import { GpuPool } from './gpu-pool.js';
import type { ArtifactSink, CommandHost, TrialRef } from './host-types.js';
import { JetStreamArtifactSink } from './artifact-store.js';

/**
 * A worker's CommandHost: its command policy and GPUs, a work directory (made on first use,
 * removed by `close` when the worker made it), progress lines published as TrialEvent KIND_PROGRESS
 * on the sweep's event subject, and artifacts stored by `artifacts`.
 */
export class WorkerCommandHost implements CommandHost {
  readonly gpus: GpuPool;
  /** Where artifacts go: the sweep's object store bucket. */
  readonly artifacts: ArtifactSink | undefined;
  private dir: Promise<string> | undefined;

  constructor(
    readonly options: CompiledCommandOptions,
    private readonly nc: NatsConnection,
    private readonly workerId: string,
    private readonly log: Logger,
  ) {
    this.gpus = new GpuPool(options.gpus);
    this.artifacts = options.allow ? new JetStreamArtifactSink(nc, log) : undefined;
  }

  workDir(): Promise<string> {
    const given = this.options.workDir;
    this.dir ??= given !== undefined ? mkdir(given, { recursive: true }).then(() => given) : mkdtemp(defaultWorkDirPrefix());
    return this.dir;
  }

  progress(trial: TrialRef, step: number, metrics: Record<string, number>): void {
    if (this.nc.isClosed()) return;
    try {
      const ev = TrialEvent.encode({
        kind: TrialEvent_Kind.KIND_PROGRESS,
        trialId: trial.trialId,
        sweepId: trial.sweepId,
        workerId: this.workerId,
        attempt: trial.attempt,
        error: '',
        atMs: Date.now(),
        step,
        metrics,
      }).finish();
      this.nc.publish(eventSubject(trial.sweepId), ev);
    } catch (err) {
      this.log.debug('progress not sent', { trial: trial.trialId, error: errorText(err) });
    }
  }

  /** Removes the work directory when the worker made it (a given --work-dir is left, cache and all). */
  async close(): Promise<void> {
    if (this.options.workDir !== undefined || !this.dir) return;
    const dir = await this.dir.catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
