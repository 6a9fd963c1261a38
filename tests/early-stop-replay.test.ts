import test from 'ava';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { ensureStreams } from '../coordinator/index.js';
import { EarlyStops, RungLog, type EarlyStopsHost } from '../coordinator/early-stop/index.js';
import { NatsServer, silentLogger } from '../common/index.js';
import { Goal, TrialEvent, TrialEvent_Kind, TrialStatus, type EarlyStopSpec, type Trial, type TrialResult } from '../proto/index.js';
import { eventually, startNats, uniqueName } from './helpers/cluster.js';

let nats: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;

test.before(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm);
});

test.after.always(async () => {
  await nc?.close();
  await nats?.stop();
});

const spec: EarlyStopSpec = { algorithm: 'asha', objectives: [{ metric: 'val/accuracy', goal: Goal.GOAL_MAX, aggregate: '' }], minSteps: 10, reductionFactor: 3, maxRungs: 0 };

/** What a coordinator does for EarlyStops, recorded: results it publishes, stop messages it sends. */
class RecordingHost implements EarlyStopsHost {
  readonly published: TrialResult[] = [];
  readonly stopped: string[] = [];
  readonly log = silentLogger;
  constructor(private readonly recordedIds: Set<string>) {}
  /** Trials t1 … t9 of one shard on the queue. */
  queuedTrials(sweepId: string): Promise<Trial[]> {
    return Promise.resolve(Array.from({ length: 9 }, (_, i) => ({ id: `t${i + 1}`, sweepId, index: i, params: { i: { kind: { $case: 'number', value: i } } }, seed: 0 })));
  }
  recorded(_sweepId: string, trialId: string): boolean {
    return this.recordedIds.has(trialId);
  }
  publishResult(r: TrialResult): Promise<void> {
    this.published.push(r);
    this.recordedIds.add(r.trialId);
    return Promise.resolve();
  }
  stopTrial(_sweepId: string, trialId: string): void {
    this.stopped.push(trialId);
  }
  malformed(): void {}
}

const progress = (sweepId: string, trialId: string, step: number, acc: number): TrialEvent => ({
  kind: TrialEvent_Kind.KIND_PROGRESS, trialId, sweepId, workerId: 'w', attempt: 1, error: '', atMs: Date.now(), step, metrics: { 'val/accuracy': acc, 'train/loss': 0.1 },
});

test('after a restart the rung log is replayed: the same decisions, a missing pruned result published, later reports ranked against the earlier ones', async (t) => {
  const sweep = uniqueName('replay');
  const log = new RungLog(jetstream(nc), jsm);
  const first = new RecordingHost(new Set());
  const a = new EarlyStops(log, first);
  await a.add(sweep, spec, false);
  for (const [id, acc] of [['t1', 0.5], ['t2', 0.4], ['t3', 0.6], ['t4', 0.55]] as const) a.onProgress(progress(sweep, id, 10, acc));
  a.onProgress(progress(sweep, 't1', 12, 0.9)); // rung 0 again: not counted, not stored
  a.onProgress({ ...progress(sweep, 't9', 10, 0.1), metrics: { 'train/loss': 1 } }); // without the ranked metric: not counted
  await a.idle(sweep);
  t.deepEqual(first.stopped, ['t2', 't4']);
  t.deepEqual(first.published.map((r) => [r.trialId, r.status, r.step, r.metrics['val/accuracy'], r.index, r.params['i']]), [
    ['t2', TrialStatus.TRIAL_STATUS_PRUNED, 10, 0.4, 1, { kind: { $case: 'number', value: 1 } }],
    ['t4', TrialStatus.TRIAL_STATUS_PRUNED, 10, 0.55, 3, { kind: { $case: 'number', value: 3 } }],
  ]);
  t.is((await log.read(sweep, () => t.fail('malformed'))).length, 4, 'one stored report per trial and rung');
  t.false(await log.append(progress(sweep, 't1', 10, 0.5), 0), 'the same trial and rung is stored once');

  // A coordinator that died after storing t4's report but before recording its pruned result.
  const second = new RecordingHost(new Set(['t2']));
  const b = new EarlyStops(log, second);
  await b.add(sweep, spec, true);
  t.deepEqual(second.published.map((r) => r.trialId), ['t4'], 'the missing pruned result is published on replay, and only it');
  // n = 5 at rung 0 with the replayed four, k = 1: below 0.6, so stopped (a fresh ASHA would let it go on).
  b.onProgress(progress(sweep, 't5', 10, 0.58));
  b.onProgress(progress(sweep, 't3', 30, 0.7));
  await b.idle(sweep);
  t.deepEqual(second.stopped, ['t4', 't5']);

  b.forget(sweep);
  t.false(b.has(sweep));
  await eventually(async () => (await log.read(sweep, () => undefined)).length === 0, 10_000, "a finished sweep's rung reports to be removed");
});
