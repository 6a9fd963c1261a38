import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { RESULTS_STREAM, Shard, TrialEvent, TrialEvent_Kind, TrialResult, TrialStatus, eventSubject, fromParamMap, resultSubject, type Trial } from '../../proto/index.js';
import { errorText, isAlreadyRecorded, whenReady, type Logger } from '../../common/index.js';
import type { NatsConnection } from '@nats-io/transport-node';
import { getMethod, type MethodDescriptor } from '../../catalog/index.js';
import { loadMethod } from '../methods/index.js';
import type { TrialOutput } from '../methods/types.js';
import { TrialCancelledError } from '../errors.js';
import type { Backend } from '../backend-types.js';
import type { WorkerMetrics } from './worker-metrics.js';

/** Why a running shard was stopped from outside. */
export type StopReason = 'cancelled' | 'hand-back';

export interface ShardContext {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  workerId: string;
  backendName: () => string;
  backend: () => Promise<Backend>;
  metrics: WorkerMetrics;
  log: Logger;
  /** JetStream's ack deadline for this consumer; heartbeats go out at a third of it. */
  ackWaitMs: number;
  /** Called once per trial result published by this worker. */
  onTrialDone: () => void;
}

/** Base delay before a retried shard is delivered again; doubles per attempt, capped at 30 s. */
export const RETRY_BASE_DELAY_MS = 500;
/** A trial is announced as running (for Watch, metrics and post-mortems) once it has run this long. */
export const STARTED_EVENT_DELAY_MS = 50;
/** How long a result publish is retried while JetStream is unavailable before the shard is given back. */
export const RESULT_PUBLISH_RETRY_MS = 30_000;
/** Result publishes awaiting their JetStream ack at once, per shard. */
const RESULT_WINDOW = 256;

function isUnrecoverable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { unrecoverable?: unknown }).unrecoverable === true;
}

/**
 * Runs one delivered shard: its trials one after another, each result published with the trial id
 * as message id, heartbeats while it runs; then acks it, naks it for a retry, or hands it back.
 */
export async function runShard(
  msg: JsMsg,
  ctx: ShardContext,
  controller: AbortController,
  /** Called once no more trials of the shard will run: the slot can take the next shard. */
  releaseSlot: () => void,
  onDecoded: (s: Shard) => void,
): Promise<void> {
  let shard: Shard;
  try {
    shard = Shard.decode(msg.data);
    if (!shard.id || !shard.sweepId) throw new Error('shard without id or sweep_id');
  } catch (err) {
    ctx.metrics.malformed.inc({ subject: 'shards' });
    ctx.metrics.shards.inc({ outcome: 'malformed' });
    ctx.log.warn('dropped malformed shard message', { subject: msg.subject, seq: msg.seq, error: errorText(err) });
    msg.term('malformed shard message');
    return;
  }
  onDecoded(shard);
  const attempt = msg.info.deliveryCount;
  const log = ctx.log.child({ sweep: shard.sweepId, shard: shard.id, attempt });
  const heartbeat = setInterval(() => msg.working(), Math.max(100, Math.floor(ctx.ackWaitMs / 3)));
  let lastBeat = Date.now();
  const beat = (): void => {
    const now = Date.now();
    if (now - lastBeat > 1000) {
      lastBeat = now;
      msg.working();
    }
  };
  const pending = new Set<Promise<unknown>>();
  const publishResult = async (r: TrialResult): Promise<void> => {
    const data = TrialResult.encode(r).finish();
    // Retried while JetStream is briefly unavailable (a cluster electing a new leader); the trial id
    // as message id makes a retried publish safe.
    const p = whenReady(() => ctx.js.publish(resultSubject(r.sweepId, r.trialId), data, { msgID: r.trialId }), RESULT_PUBLISH_RETRY_MS)
      .catch((err: unknown) => {
        // This trial already has its one result (recorded by an earlier attempt): nothing lost.
        if (!isAlreadyRecorded(err)) throw err;
      });
    pending.add(p);
    ctx.onTrialDone();
    void p.then(() => pending.delete(p), () => pending.delete(p));
    if (pending.size >= RESULT_WINDOW) await Promise.race(pending);
  };
  const event = (trial: Trial, kind: TrialEvent_Kind, error = ''): void => {
    ctx.nc.publish(
      eventSubject(shard.sweepId),
      TrialEvent.encode({ kind, trialId: trial.id, sweepId: shard.sweepId, workerId: ctx.workerId, attempt, error, atMs: Date.now() }).finish(),
    );
  };

  try {
    const desc = getMethod(shard.method);
    for (const trial of shard.trials) {
      if (controller.signal.aborted) break;
      if (attempt > 1 && (await isRecorded(ctx.jsm, shard.sweepId, trial.id))) continue;
      const started = Date.now();
      const base = {
        trialId: trial.id, sweepId: shard.sweepId, params: trial.params, seed: trial.seed, index: trial.index,
        attempts: attempt, workerId: ctx.workerId, startedAtMs: started, groupMetrics: [], metrics: {}, error: '',
      };
      // Trials that finish within the delay never show as running: no event for them.
      const startedEvent = setTimeout(() => event(trial, TrialEvent_Kind.KIND_STARTED), STARTED_EVENT_DELAY_MS);
      try {
        const out = await runTrial(desc, shard, trial, attempt, controller.signal, beat, ctx).finally(() => clearTimeout(startedEvent));
        ctx.metrics.trials.inc({ method: shard.method, outcome: 'ok' });
        ctx.metrics.trialDuration.observe({ method: shard.method }, (Date.now() - started) / 1000);
        await publishResult({ ...base, status: TrialStatus.TRIAL_STATUS_OK, metrics: out.metrics, groupMetrics: out.groupMetrics, backend: ctx.backendName(), finishedAtMs: Date.now() });
      } catch (err) {
        if (controller.signal.aborted || err instanceof TrialCancelledError) {
          ctx.metrics.trials.inc({ method: shard.method, outcome: 'cancelled' });
          break;
        }
        const text = errorText(err);
        if (isUnrecoverable(err) || attempt >= shard.maxAttempts) {
          ctx.metrics.trials.inc({ method: shard.method, outcome: 'failed' });
          log.warn('trial failed', { trial: trial.id, error: text });
          await publishResult({
            ...base, status: TrialStatus.TRIAL_STATUS_FAILED, backend: ctx.backendName(), finishedAtMs: Date.now(),
            error: isUnrecoverable(err) || shard.maxAttempts <= 1 ? text : `${text} (after ${attempt} attempts)`,
          });
          continue;
        }
        // Retry through JetStream: nak the shard; its recorded trials are skipped on redelivery.
        ctx.metrics.trials.inc({ method: shard.method, outcome: 'retried' });
        log.info('trial failed, shard will be retried', { trial: trial.id, error: text });
        event(trial, TrialEvent_Kind.KIND_RETRYING, text);
        releaseSlot();
        await Promise.all(pending);
        ctx.metrics.shards.inc({ outcome: 'retried' });
        msg.nak(Math.min(30_000, RETRY_BASE_DELAY_MS * 2 ** (attempt - 1)));
        return;
      }
    }
    releaseSlot();
    await Promise.all(pending);
    if (controller.signal.aborted) {
      const reason = controller.signal.reason as StopReason | undefined;
      if (reason === 'hand-back') {
        ctx.metrics.shards.inc({ outcome: 'handed_back' });
        msg.nak();
      } else {
        ctx.metrics.shards.inc({ outcome: 'cancelled' });
        msg.term('sweep cancelled');
      }
      return;
    }
    // Every result is stored before this ack. A lost ack only means a redelivery whose trials are
    // all skipped as recorded, so the slot need not wait for the server's confirmation.
    msg.ack();
    ctx.metrics.shards.inc({ outcome: 'acked' });
  } catch (err) {
    // Results could not be stored: give the shard back now rather than after the ack deadline.
    releaseSlot();
    log.warn('shard given back: results could not be stored', { error: errorText(err) });
    ctx.metrics.shards.inc({ outcome: 'retried' });
    msg.nak(RETRY_BASE_DELAY_MS);
  } finally {
    clearInterval(heartbeat);
  }
}

async function runTrial(
  desc: MethodDescriptor | undefined,
  shard: Shard,
  trial: Trial,
  attempt: number,
  signal: AbortSignal,
  heartbeat: () => void,
  ctx: ShardContext,
): Promise<TrialOutput> {
  if (!desc) throw Object.assign(new Error(`this worker has no method "${shard.method}" (is it an older version than the coordinator?)`), { unrecoverable: true });
  const parsed = desc.params.safeParse(fromParamMap(trial.params));
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw Object.assign(new Error(`invalid params: ${first ? `${first.path.join('.')}: ${first.message}` : parsed.error.message}`), { unrecoverable: true });
  }
  const loading = loadMethod(shard.method);
  if (!loading) throw Object.assign(new Error(`this worker implements no method "${shard.method}" (is it an older version than the coordinator?)`), { unrecoverable: true });
  const impl = await loading;
  return impl.run(
    {
      trialId: trial.id,
      sweepId: shard.sweepId,
      params: parsed.data,
      seed: trial.seed,
      dataset: { name: shard.dataset?.name ?? '', options: fromParamMap(shard.dataset?.options ?? {}) },
      attempt,
    },
    { signal, heartbeat, backend: ctx.backend },
  );
}

async function isRecorded(jsm: JetStreamManager, sweepId: string, trialId: string): Promise<boolean> {
  try {
    const m = await jsm.streams.getMessage(RESULTS_STREAM, { last_by_subj: resultSubject(sweepId, trialId) });
    return m !== null;
  } catch {
    return false;
  }
}
