import { status, type ServiceError } from '@grpc/grpc-js';
import { setTimeout as delay } from 'node:timers/promises';
import { SweepState, type Progress, type SweepServiceClient, type TrialEvent, type TrialResult, type WatchResponse } from '../proto/index.js';
import { CliError } from './cli-error.js';
import { rpcError } from './client.js';

/** How long a watcher keeps trying to reach a coordinator that went away, by default. */
export const DEFAULT_RECONNECT_TIMEOUT_MS = 120_000;
const BACKOFF_START_MS = 250;
const BACKOFF_MAX_MS = 5_000;

export interface FollowOptions {
  client: SweepServiceClient;
  /** For error messages. */
  address: string;
  sweepId: string;
  /** Also deliver the results recorded before the call. */
  replay: boolean;
  /** Give up after the coordinator has been unreachable this long (ms). */
  reconnectTimeoutMs?: number;
  onProgress?(p: Progress): void;
  onResult?(r: TrialResult): void;
  /** A running trial's own progress report (command trials' progress lines). */
  onTrialProgress?(ev: TrialEvent): void;
  /** Told when the stream broke and the watcher is reconnecting. */
  onReconnecting?(reason: string): void;
}

const isTerminal = (p: Progress): boolean => p.state === SweepState.SWEEP_STATE_COMPLETED || p.state === SweepState.SWEEP_STATE_FAILED || p.state === SweepState.SWEEP_STATE_CANCELLED;

/** Errors after which the coordinator may come back: it restarted, or the network blinked. */
const RETRYABLE = new Set<number>([status.UNAVAILABLE, status.CANCELLED, status.UNKNOWN, status.INTERNAL, status.DEADLINE_EXCEEDED, status.ABORTED]);

/** Two progress messages that read the same (a finished sweep's stream opens and ends with the same one). */
const sameProgress = (a: Progress | undefined, b: Progress): boolean =>
  a !== undefined && a.state === b.state && a.ok === b.ok && a.failed === b.failed && a.running === b.running && a.total === b.total && a.frontierSize === b.frontierSize && a.hypervolume === b.hypervolume;

type Outcome = { kind: 'ended'; last?: Progress } | { kind: 'broken'; err?: ServiceError; delivered: boolean };

/**
 * Follows a sweep's Watch stream until the sweep ends, surviving coordinator restarts: when the
 * stream breaks (or ends before the sweep did), it reconnects with backoff and asks for a replay,
 * delivering each trial result once (by trial id), and a progress unless it repeats the one just
 * delivered. Resolves with the final progress.
 */
export async function followSweep(o: FollowOptions): Promise<Progress> {
  const seen = new Set<string>();
  const timeoutMs = o.reconnectTimeoutMs ?? DEFAULT_RECONNECT_TIMEOUT_MS;
  let replay = o.replay;
  let reconnecting = false;
  let brokenSince = 0;
  let backoff = BACKOFF_START_MS;
  let last: Progress | undefined;
  /** The progress delivered last, while no result came after it: the same one again says nothing new. */
  let shown: Progress | undefined;
  if (!replay) {
    // Results recorded before now are not wanted; learn their ids so a later replay skips them.
    for (const id of await recordedIds(o)) seen.add(id);
    replay = true;
  }
  for (;;) {
    const outcome = await new Promise<Outcome>((resolve) => {
      const stream = o.client.watch({ sweepId: o.sweepId, replay });
      let got = false;
      stream.on('data', (ev: WatchResponse) => {
        got = true;
        if (ev.event?.$case === 'progress') {
          const p = ev.event.value;
          last = p;
          if (sameProgress(shown, p)) return;
          shown = p;
          o.onProgress?.(p);
        } else if (ev.event?.$case === 'result') {
          const r = ev.event.value;
          if (seen.has(r.trialId)) return;
          seen.add(r.trialId);
          shown = undefined;
          o.onResult?.(r);
        } else if (ev.event?.$case === 'trialProgress') {
          o.onTrialProgress?.(ev.event.value);
        }
      });
      stream.on('error', (err: ServiceError) => resolve({ kind: 'broken', err, delivered: got }));
      stream.on('end', () => resolve(last && isTerminal(last) ? { kind: 'ended', last } : { kind: 'broken', delivered: got }));
    });
    if (outcome.kind === 'ended' && outcome.last) return outcome.last;
    const err = outcome.kind === 'broken' ? outcome.err : undefined;
    // A stream that delivered something was a live connection: a break after it starts a fresh timeout.
    if (outcome.kind === 'broken' && outcome.delivered) reconnecting = false;
    // NOT_FOUND on the first call is the user's mistake; after a restart the sweep may still be rebuilding.
    if (err && !RETRYABLE.has(err.code) && !(reconnecting && err.code === status.NOT_FOUND)) throw rpcError(err, o.address);
    if (!reconnecting) {
      reconnecting = true;
      brokenSince = Date.now();
      backoff = BACKOFF_START_MS;
    }
    if (Date.now() - brokenSince > timeoutMs) {
      throw new CliError(
        `lost the coordinator at ${o.address} for over ${Math.round(timeoutMs / 1000)} s while watching ${o.sweepId}; the sweep goes on without this watcher: run \`fairsweep watch ${o.sweepId} --coordinator ${o.address}\` again later`,
      );
    }
    o.onReconnecting?.(err ? (err.details || err.message) : 'the stream ended before the sweep did');
    await delay(backoff);
    backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
  }
}

/** Ids of the results recorded so far. */
function recordedIds(o: FollowOptions): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const ids: string[] = [];
    const s = o.client.results({ sweepId: o.sweepId });
    s.on('data', (r: { result?: TrialResult }) => r.result && ids.push(r.result.trialId));
    s.on('error', (err: ServiceError) => reject(rpcError(err, o.address)));
    s.on('end', () => resolve(ids));
  });
}
