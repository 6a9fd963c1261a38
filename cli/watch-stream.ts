import type { Progress, SweepServiceClient, TrialEvent, TrialResult } from '../proto/index.js';
import { CliError } from './cli-error.js';
import { followSweep } from './watch-follow.js';

export interface WatchOptions {
  /** Replay results recorded before the call. */
  replay: boolean;
  onProgress?: (p: Progress) => void;
  onResult?: (r: TrialResult) => void;
  onTrialProgress?: (ev: TrialEvent) => void;
  /** Told when the stream broke and a new one is being opened. */
  onReconnect?: (err: CliError, attempt: number) => void;
  /** How long the coordinator may stay unreachable before giving up (default 60 s). */
  reconnectForMs?: number;
}

export const DEFAULT_RECONNECT_FOR_MS = 60_000;

/**
 * Follows a sweep until it ends, across coordinator restarts (see `followSweep`): every result is
 * reported once. Resolves with the last progress.
 */
export async function watchSweep(client: SweepServiceClient, sweepId: string, address: string, o: WatchOptions): Promise<Progress> {
  let attempt = 0;
  return followSweep({
    client,
    address,
    sweepId,
    replay: o.replay,
    reconnectTimeoutMs: o.reconnectForMs ?? DEFAULT_RECONNECT_FOR_MS,
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.onResult ? { onResult: o.onResult } : {}),
    ...(o.onTrialProgress ? { onTrialProgress: o.onTrialProgress } : {}),
    onReconnecting: (why) => o.onReconnect?.(new CliError(`lost the coordinator at ${address} (${why})`), ++attempt),
  });
}
