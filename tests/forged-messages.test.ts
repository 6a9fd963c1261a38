/**
 * Messages anyone allowed to publish on fairsweep's subjects can send, that look real or nearly so:
 * a forged max-deliveries advisory, a forged cancel, garbage in the place of a trial's result, and
 * garbage written over a sweep's record. None of them may fail, cancel or block a trial.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type StoredMsg } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { CoordinatorServer } from '../coordinator/index.js';
import { Dispatcher } from '../coordinator/queue/dispatcher.js';
import { SHARDS_STREAM, SWEEPS_BUCKET, Shard, SweepRecord, SweepState, TrialResult, TrialStatus, cancelSubject, resultSubject, sweepConsumerName, type Trial } from '../proto/index.js';
import { startNats, spawnWorker, eventually, uniqueName, type CliProcess } from './helpers/cluster.js';
import { sweepFixture } from './helpers/sweep-fixture.js';
import { storedResultCount } from './helpers/streams.js';
import { reportFault } from './helpers/reliability.js';

/** Period of the coordinator's periodic check (unconfirmed advisories, overwritten records). */
const RECONCILE_MS = 300;
const ADVISORY_PREFIX = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${SHARDS_STREAM}`;

let nc: NatsConnection;

/** Each test starts with no worker running; workers serve metrics on a port of their own. */
const fixture = sweepFixture(test, {
  coordinator: { metrics: '127.0.0.1:0', ackWaitMs: 3_000, reconcileIntervalMs: RECONCILE_MS },
  workerArgs: ['--metrics', '127.0.0.1:0'],
  killBeforeEach: true,
  setup: async (f) => {
    nc = await connect({ servers: f.nats.url });
  },
  teardown: async () => nc?.close(),
});

const spec = (name: string, n: number, ms: number, extra = ''): string =>
  `name: ${uniqueName(name)}\nmethod: sleep\nparams: { duration_ms: ${ms} }\ngrid: { x: { linspace: [0, 1, ${n}] } }\nshard_size: 1\n${extra}objectives: [{ metric: score, goal: max }]\n`;

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

async function metric(port: number | string | undefined, series: string): Promise<number> {
  const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return Number(line?.split(' ')[1] ?? 0);
}

const workerMetricsPort = (w: CliProcess): string | undefined => /metrics=(\d+)/.exec(w.output)?.[1];

/** The shards queued for a sweep, in stream order. */
async function queuedShards(sweepId: string): Promise<StoredMsg[]> {
  return new Dispatcher(jetstream(nc), await jetstreamManager(nc)).remaining(sweepId);
}

test.serial('a forged max-deliveries advisory fails nothing, neither a queued shard nor one a worker holds: JetStream is asked first', async (t) => {
  const c = fixture.server.coordinator;
  const { sweepId } = await c.submit(spec('forged-advisory', 6, 20, 'max_attempts: 2\n'));
  const agg = c.sweep(sweepId);
  const queued = await queuedShards(sweepId);
  t.is(queued.length, 6);
  // A shard a worker is running: taken by the test and not acknowledged.
  const consumer = await jetstream(nc).consumers.get(SHARDS_STREAM, sweepConsumerName(sweepId));
  const held = await consumer.next({ expires: 5_000 });
  if (!held) return t.fail('no shard delivered');
  const series = 'fairsweep_malformed_messages_total{subject="advisories"}';
  const before = await metric(fixture.server.metricsPort, series);
  const name = sweepConsumerName(sweepId);
  const advisory = (seq: number, deliveries: number): string =>
    JSON.stringify({ type: 'io.nats.jetstream.advisory.v1.max_deliver', id: 'forged', timestamp: new Date().toISOString(), stream: SHARDS_STREAM, consumer: name, stream_seq: seq, deliveries });
  for (const m of queued) {
    // As reported: a bare stream sequence on another consumer's subject.
    nc.publish(`${ADVISORY_PREFIX}.x`, text(JSON.stringify({ stream_seq: m.seq })));
    // A delivery count the sweep's consumer cannot have reached (its max_deliver is 2).
    nc.publish(`${ADVISORY_PREFIX}.${name}`, text(advisory(m.seq, 1)));
    // Right in every field it carries: JetStream says the shard is queued, or held by a worker.
    nc.publish(`${ADVISORY_PREFIX}.${name}`, text(advisory(m.seq, 2)));
  }
  await nc.flush();
  await eventually(async () => agg.done > 0 || (await metric(fixture.server.metricsPort, series)) - before === 2 * queued.length, 10_000, 'the advisories JetStream contradicts counted');
  // What cannot be confirmed is checked again periodically: watch a few of those checks.
  await delay(6 * RECONCILE_MS);
  t.is(agg.done, 0, 'no trial recorded');
  t.is(await storedResultCount(fixture.nats.url, sweepId), 0, 'no result stored');
  t.is(await metric(fixture.server.metricsPort, series) - before, 2 * queued.length, 'the advisories JetStream contradicts counted as malformed');
  held.nak();
  await fixture.worker('--slots', '2');
  await eventually(() => agg.finished, 30_000, 'the sweep to finish');
  const results = c.results(sweepId);
  t.is(results.length, 6);
  t.true(results.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK), results.map((r) => r.error).join('; '));
  t.is(await storedResultCount(fixture.nats.url, sweepId), 6);
  t.is(await metric(fixture.server.metricsPort, 'fairsweep_shards_exhausted_total'), 0);
  reportFault('forged max-deliveries advisories, 3 per queued shard', 6, await storedResultCount(fixture.nats.url, sweepId), new Set(results.map((r) => r.trialId)).size);
});

test.serial('a cancel message is only a hint: a forged one leaves the sweep running on the workers; a real one stops it there', async (t) => {
  const c = fixture.server.coordinator;
  const w = await fixture.worker('--slots', '2');
  const port = workerMetricsPort(w);
  const { sweepId } = await c.submit(spec('forged-cancel', 8, 300));
  const agg = c.sweep(sweepId);
  await eventually(() => agg.running.size > 0, 30_000, 'trials running');
  // Empty (as reported), random bytes, and a valid-looking sweep id with nothing behind it.
  for (const payload of [new Uint8Array(), randomBytes(40), new Uint8Array()]) nc.publish(cancelSubject(sweepId), payload);
  nc.publish(cancelSubject('no-such-sweep'), new Uint8Array());
  await nc.flush();
  await eventually(() => agg.finished, 30_000, 'the sweep to finish');
  t.true((await metric(port, 'fairsweep_worker_malformed_messages_total{subject="cancel"}')) >= 3, 'the worker counted the forged cancels it ignored');
  t.is(agg.record.state, SweepState.SWEEP_STATE_COMPLETED);
  t.is(c.results(sweepId).length, 8);
  t.true(c.results(sweepId).every((r) => r.status === TrialStatus.TRIAL_STATUS_OK));
  t.is(await metric(port, 'fairsweep_worker_shards_total{outcome="cancelled"}'), 0, 'no shard stopped as cancelled');
  reportFault('forged cancel messages (empty, random bytes) for a running sweep', 8, await storedResultCount(fixture.nats.url, sweepId), new Set(c.results(sweepId).map((r) => r.trialId)).size);

  // The coordinator's cancel (record cancelled first, then the message) still stops running trials at once.
  const long = await c.submit(spec('real-cancel', 2, 20_000));
  const longAgg = c.sweep(long.sweepId);
  await eventually(() => longAgg.running.size > 0, 30_000, 'a long trial running');
  await c.cancel(long.sweepId);
  await eventually(async () => (await metric(port, 'fairsweep_worker_shards_total{outcome="cancelled"}')) >= 1, 10_000, 'the worker to stop the cancelled sweep');
  t.is(await storedResultCount(fixture.nats.url, long.sweepId), 0);
});

test.serial('garbage in the place of a trial\'s result does not block the real result: it is not recorded, the coordinator deletes it, the worker stores its own, once', async (t) => {
  const c = fixture.server.coordinator;
  const { sweepId } = await c.submit(spec('garbage-slot', 6, 20));
  const agg = c.sweep(sweepId);
  const trials: Trial[] = (await queuedShards(sweepId)).flatMap((m) => Shard.decode(m.data).trials);
  t.is(trials.length, 6);
  const [t0, t1, t2, t3, t4] = trials;
  if (!t0 || !t1 || !t2 || !t3 || !t4) return t.fail('trials missing');
  const js = jetstream(nc);
  const before = await metric(fixture.server.metricsPort, 'fairsweep_malformed_messages_total{subject="results"}');
  const resultOf = (trial: Trial, fields: Partial<TrialResult> = {}): TrialResult => ({
    trialId: trial.id, sweepId, params: trial.params, seed: trial.seed, index: trial.index, status: TrialStatus.TRIAL_STATUS_OK, error: '',
    metrics: { score: 99 }, groupMetrics: [], attempts: 1, workerId: 'forger', backend: 'none', device: '', startedAtMs: 1, finishedAtMs: 2, ...fields,
  });
  // 64 random bytes, as reported.
  await js.publish(resultSubject(sweepId, t0.id), randomBytes(64));
  // Random bytes under the trial id as message id: the worker's own publish is dropped as a duplicate.
  await js.publish(resultSubject(sweepId, t1.id), randomBytes(64), { msgID: t1.id });
  // Another sweep's result.
  await js.publish(resultSubject(sweepId, t2.id), TrialResult.encode(resultOf(t2, { sweepId: 'another-sweep' })).finish());
  // This trial's result cut short (no finish time).
  await js.publish(resultSubject(sweepId, t3.id), TrialResult.encode(resultOf(t3, { finishedAtMs: 0, index: 0 })).finish());
  // A result whose params are not this trial's.
  await js.publish(resultSubject(sweepId, t4.id), TrialResult.encode(resultOf(t4, { params: {} })).finish());
  const series = 'fairsweep_malformed_messages_total{subject="results"}';
  await eventually(async () => agg.done > 0 || (await metric(fixture.server.metricsPort, series)) - before >= 5, 10_000, 'the coordinator to read the garbage');
  t.is(agg.done, 0, 'none of it recorded');
  t.is(await metric(fixture.server.metricsPort, series) - before, 5, 'all of it counted as malformed');
  await eventually(async () => (await storedResultCount(fixture.nats.url, sweepId)) === 0, 10_000, 'the coordinator to delete it');
  await fixture.worker('--slots', '2');
  await eventually(() => agg.finished, 30_000, 'the sweep to finish');
  const results = c.results(sweepId);
  t.is(results.length, 6);
  t.true(results.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK && r.workerId !== 'forger'), 'every result is the worker\'s');
  t.is(await storedResultCount(fixture.nats.url, sweepId), 6, 'one stored result per trial');
  t.is(agg.record.state, SweepState.SWEEP_STATE_COMPLETED);
  reportFault('garbage published in the place of 5 of 6 results before they run', 6, await storedResultCount(fixture.nats.url, sweepId), new Set(results.map((r) => r.trialId)).size);
});

test.serial('garbage written over a running sweep\'s record is ignored by the workers and written over again by the coordinator', async (t) => {
  const c = fixture.server.coordinator;
  await fixture.worker('--slots', '1');
  const { sweepId } = await c.submit(spec('garbage-record', 4, 400));
  const agg = c.sweep(sweepId);
  await eventually(() => agg.running.size > 0, 30_000, 'a trial running');
  const kv = await new Kvm(nc).open(SWEEPS_BUCKET);
  await kv.put(sweepId, randomBytes(48));
  await eventually(async () => {
    const e = await kv.get(sweepId);
    return e?.operation === 'PUT' && SweepRecord.decode(e.value).id === sweepId && SweepRecord.decode(e.value).state === SweepState.SWEEP_STATE_RUNNING;
  }, 10_000, 'the coordinator to write its record again');
  await eventually(() => agg.finished, 30_000, 'the sweep to finish');
  t.is(agg.record.state, SweepState.SWEEP_STATE_COMPLETED);
  t.is(c.results(sweepId).length, 4);
  t.true(c.results(sweepId).every((r) => r.status === TrialStatus.TRIAL_STATUS_OK));
});

test.serial('garbage in the place of a result while no coordinator runs: the worker gives its shard back until a coordinator has deleted it, then stores the result', async (t) => {
  // Its own server: the file's coordinator must not see this garbage.
  const own = await startNats();
  t.teardown(() => own.stop());
  const first = await CoordinatorServer.start({ nats: { servers: own.url }, grpc: '127.0.0.1:0', metrics: null, ackWaitMs: 3_000 });
  const { sweepId } = await first.coordinator.submit(spec('slot-no-coordinator', 3, 20, 'max_attempts: 10\n').replace('shard_size: 1', 'shard_size: 3'));
  const ownNc = await connect({ servers: own.url });
  t.teardown(() => ownNc.close());
  const [queued] = await new Dispatcher(jetstream(ownNc), await jetstreamManager(ownNc)).remaining(sweepId);
  const [t0, t1] = queued ? Shard.decode(queued.data).trials : [];
  if (!t0 || !t1) return t.fail('trials missing');
  await first.close();
  // With no coordinator to delete it: random bytes, and random bytes under the trial id as message id.
  const js = jetstream(ownNc);
  await js.publish(resultSubject(sweepId, t0.id), randomBytes(64));
  await js.publish(resultSubject(sweepId, t1.id), randomBytes(64), { msgID: t1.id });
  const w = await spawnWorker(own.url, ['--slots', '1', '--metrics', '127.0.0.1:0']);
  fixture.procs.push(w);
  // The worker finds garbage in the place of two results, waits for it to go, then gives the shard back and backs off.
  await w.waitFor(/results cannot be stored: a message that is not a result holds a result's place/, 30_000);
  const second = await CoordinatorServer.start({ nats: { servers: own.url }, grpc: '127.0.0.1:0', metrics: null, ackWaitMs: 3_000 });
  t.teardown(() => second.close());
  const agg = second.coordinator.sweep(sweepId);
  await eventually(() => agg.finished, 60_000, 'the sweep to finish');
  const results = second.coordinator.results(sweepId);
  t.is(results.length, 3);
  t.true(results.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK), results.map((r) => r.error).join('; '));
  // The refused result itself is published again after the worker's back-off (no delivery lost).
  await eventually(async () => (await metric(workerMetricsPort(w), 'fairsweep_worker_store_backoff_seconds')) === 0, 10_000, "the worker's back-off to end");
  t.is(await storedResultCount(own.url, sweepId), 3, 'one stored result per trial');
  reportFault('garbage in the place of 2 of 3 results while no coordinator runs', 3, await storedResultCount(own.url, sweepId), new Set(results.map((r) => r.trialId)).size);
  t.true((await metric(workerMetricsPort(w), 'fairsweep_worker_malformed_messages_total{subject="results"}')) >= 2, 'the worker counted what it found');
});
