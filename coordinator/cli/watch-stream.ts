import { setTimeout as delay } from 'node:timers/promises';
import type { Progress, SweepServiceClient, TrialResult, WatchResponse } from '../../proto/index.js';
import { CliError } from './cli-error.js';
import { collect } from './client.js';

export interface WatchOptions {
  /** Replay results recorded before the call. */
  replay: boolean;
  onProgress?: (p: Progress) => void;
  onResult?: (r: TrialResult) => void;
  /** Told when the stream broke and a new one is being opened. */
  onReconnect?: (err: CliError, attempt: number) => void;
  /** How long the coordinator may stay unreachable before giving up (default 60 s). */
  reconnectForMs?: number;
}

export const DEFAULT_RECONNECT_FOR_MS = 60_000;

/**
 * Follows a sweep until its Watch stream ends (the sweep ended). When the stream breaks (the
 * coordinator restarted, the network dropped) it is reopened with replay, and results already
 * seen are skipped, so every result is reported once. Resolves with the last progress.
 */
export async function watchSweep(client: SweepServiceClient, sweepId: string, address: string, o: WatchOptions): Promise<Progress | undefined> {
  const seen = new Set<string>();
  let last: Progress | undefined;
  let replay = o.replay;
  let brokenSince = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      await collect<WatchResponse>(client.watch({ sweepId, replay }), address, (ev) => {
        brokenSince = 0;
        if (ev.event?.$case === 'progress') {
          last = ev.event.value;
          o.onProgress?.(last);
        } else if (ev.event?.$case === 'result') {
          const r = ev.event.value;
          if (seen.has(r.trialId)) return;
          seen.add(r.trialId);
          o.onResult?.(r);
        }
      });
      return last;
    } catch (err) {
      // Only a broken connection is retried; an unknown sweep or a refused call is final.
      if (!(err instanceof CliError) || !err.message.startsWith('cannot reach the coordinator') || last === undefined) throw err;
      brokenSince ||= Date.now();
      if (Date.now() - brokenSince > (o.reconnectForMs ?? DEFAULT_RECONNECT_FOR_MS)) throw err;
      o.onReconnect?.(err, attempt + 1);
      replay = true;
      await delay(Math.min(5000, 250 * 2 ** Math.min(attempt, 5)));
    }
  }
}
