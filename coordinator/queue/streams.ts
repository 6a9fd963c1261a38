import { nanos } from '@nats-io/transport-node';
import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { RESULTS_STREAM, RESULTS_SUBJECTS, RUNGS_STREAM, RUNGS_SUBJECTS, SHARDS_STREAM, SHARDS_SUBJECTS } from '../../proto/index.js';
import { isNotFound, whenReady } from '../../common/index.js';

export interface StreamOptions {
  /** Stream replicas: 1 locally, 3 on a JetStream cluster. */
  replicas?: number;
  /** How long JetStream remembers shard message ids to drop re-published duplicates. */
  duplicateWindowMs?: number;
}

export const DEFAULT_DUPLICATE_WINDOW_MS = 60 * 60_000;

/**
 * The two streams the whole system rests on (and a third for early stopping's rung reports):
 * - shards: a work queue; each shard is removed once a worker acks it; message id = shard id.
 * - results: one message per trial subject, and JetStream refuses a second one
 *   (`max_msgs_per_subject: 1` with `discard_new_per_subject`), so a trial is recorded exactly once
 *   however late a duplicate arrives; message id = trial id as well.
 */
/** A stream configuration to create or update: every field JetStream defaults may be left out, but not the name. */
export type StreamSettings = Partial<StreamConfig> & { name: string };

export function streamConfigs(options: StreamOptions = {}): StreamSettings[] {
  const replicas = options.replicas ?? 1;
  const window = nanos(options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS);
  return [
    {
      name: SHARDS_STREAM,
      subjects: [SHARDS_SUBJECTS],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: replicas,
      duplicate_window: window,
    },
    {
      name: RESULTS_STREAM,
      subjects: [RESULTS_SUBJECTS],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: replicas,
      duplicate_window: window,
      max_msgs_per_subject: 1,
      discard: DiscardPolicy.New,
      discard_new_per_subject: true,
    },
    {
      // Early stopping's rung reports (coordinator/early-stop/rung-log.ts), purged when a sweep ends.
      name: RUNGS_STREAM,
      subjects: [RUNGS_SUBJECTS],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: replicas,
      duplicate_window: window,
    },
  ];
}

/** Creates the streams, or updates them to this configuration when they exist. */
export async function ensureStreams(jsm: JetStreamManager, options: StreamOptions = {}): Promise<void> {
  await whenReady(() => createOrUpdate(jsm, options));
}

async function createOrUpdate(jsm: JetStreamManager, options: StreamOptions): Promise<void> {
  for (const cfg of streamConfigs(options)) {
    try {
      await jsm.streams.info(cfg.name);
      await jsm.streams.update(cfg.name, cfg);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await jsm.streams.add(cfg);
    }
  }
}
