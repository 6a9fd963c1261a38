import test from 'ava';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { CoordinatorServer } from '../coordinator/index.js';
import { isNotFound } from '../common/index.js';
import { SHARDS_STREAM, WORKER_HEARTBEAT_SUBJECT, WorkerInfo, Shard, SweepState, TrialStatus, TrialResult, resultSubject, shardSubject, sweepConsumerName } from '../proto/index.js';
import { startNats, eventually, uniqueName, type CliProcess } from './helpers/cluster.js';
import { sweepFixture } from './helpers/sweep-fixture.js';
import { storedResultCount } from './helpers/streams.js';
import { reportFault } from './helpers/reliability.js';
import { RecordingLogger } from './helpers/recording-logger.js';

let worker: CliProcess;
const cleanups: (() => Promise<unknown>)[] = [];

const log = new RecordingLogger();
const ADVISORY = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${SHARDS_STREAM}.x`;
const GARBAGE_ADVISORIES = ['not json at all', '', '[1, 2]', '{"stream_seq": "7"}', '{"stream_seq": -3}', '{"type": "io.nats.jetstream.advisory.v1.max_deliver"}'];

/** One worker for the whole file, with a metrics port: its counters are checked. */
const fixture = sweepFixture(test, {
  coordinator: { metrics: '127.0.0.1:0', ackWaitMs: 2_000, log },
  setup: async (f) => {
    worker = await f.worker('--slots', '2', '--metrics', '127.0.0.1:0');
  },
  teardown: async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  },
});

async function coordinatorMetric(s: CoordinatorServer, series: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${s.metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return Number(line?.split(' ')[1] ?? 0);
}

async function publishAll(nc: NatsConnection, subject: string, payloads: readonly (string | Uint8Array)[]): Promise<void> {
  for (const p of payloads) nc.publish(subject, typeof p === 'string' ? new TextEncoder().encode(p) : p);
  await nc.flush();
}

test('garbage and truncated protobuf on the shard and result subjects is dropped, counted and logged; the sweep completes intact', async (t) => {
  const c = fixture.server.coordinator;
  const { sweepId } = await c.submit(`name: ${uniqueName('garbage')}\nmethod: sleep\nparams: { duration_ms: 150 }\ngrid: { x: { linspace: [0, 1, 20] } }\nobjectives: [{ metric: score, goal: max }]\n`);
  const agg = c.sweep(sweepId);
  const nc = await connect({ servers: fixture.nats.url });
  const js = jetstream(nc);
  const valid = TrialResult.encode({ trialId: 'tfake', sweepId, params: {}, seed: 0, status: TrialStatus.TRIAL_STATUS_OK, error: '', metrics: { score: 99 }, groupMetrics: [], attempts: 1, workerId: 'x', backend: 'x', device: '', startedAtMs: 0, finishedAtMs: 0, index: 0 }).finish();
  const garbage = [new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), valid.slice(0, Math.floor(valid.length / 2)), new TextEncoder().encode('{"json": "not protobuf"}'), new Uint8Array()];
  for (const [i, g] of garbage.entries()) {
    await js.publish(shardSubject(sweepId), g, { msgID: `junk-shard-${i}` });
    await js.publish(resultSubject(sweepId, `tjunk${i}`), g);
  }
  await eventually(() => agg.finished, 60_000, 'sweep to finish');
  await nc.close();
  t.is(agg.record.state, SweepState.SWEEP_STATE_COMPLETED);
  const results = c.results(sweepId);
  t.is(results.length, 20);
  t.false(results.some((r) => r.trialId.startsWith('tjunk') || r.trialId === 'tfake'));
  t.true(results.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK));
  const coordMetrics = await (await fetch(`http://127.0.0.1:${fixture.server.metricsPort}/metrics`)).text();
  const dropped = Number(/fairsweep_malformed_messages_total\{subject="results"\} (\d+)/.exec(coordMetrics)?.[1] ?? 0);
  t.true(dropped >= 3, `coordinator counted ${dropped} malformed results`);
  const port = /metrics=(\d+)/.exec(worker.output)?.[1];
  const workerMetrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  t.regex(workerMetrics, /fairsweep_worker_malformed_messages_total\{subject="shards"\} [1-9]/);
  t.regex(worker.output, /dropped malformed shard message/);
  t.is(worker.proc.exitCode, null, 'the worker is still running');
  reportFault('garbage protobuf on shard and result subjects', 20, results.length, new Set(results.map((r) => r.trialId)).size);
});

test('a heartbeat that does not decode or names no worker is dropped, counted and logged with its subject; later heartbeats still register workers', async (t) => {
  const c = fixture.server.coordinator;
  const nc = await connect({ servers: fixture.nats.url });
  cleanups.push(() => nc.close());
  const heartbeat = (id: string): Uint8Array => WorkerInfo.encode({ id, backend: 'test', gpu: -1, device: '', slots: 1, busy: 0, state: 'running', grpcAddress: '', hostname: 'test', startedAtMs: 1, trialsDone: 0 }).finish();
  await publishAll(nc, WORKER_HEARTBEAT_SUBJECT, [new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), heartbeat('')]);
  await publishAll(nc, WORKER_HEARTBEAT_SUBJECT, [heartbeat('hb-after-garbage')]);
  await eventually(() => c.workers.list().some((w) => w.id === 'hb-after-garbage'), 10_000, 'the later heartbeat to register its worker');
  t.false(c.workers.list().some((w) => w.id === ''), 'no worker without an id');
  t.is(await coordinatorMetric(fixture.server, 'fairsweep_malformed_messages_total{subject="heartbeat"}'), 2);
  const dropped = log.lines.filter((l) => l.msg === 'dropped malformed heartbeat message');
  t.is(dropped.length, 2);
  t.true(dropped.every((l) => l.fields.subject === WORKER_HEARTBEAT_SUBJECT));
  t.regex(String(dropped[1]?.fields.error), /heartbeat without a worker id/);
});

test('garbage on the max-deliveries advisory subject is dropped, counted and logged; the subscription lives on and a sweep completes', async (t) => {
  const c = fixture.server.coordinator;
  const nc = await connect({ servers: fixture.nats.url });
  cleanups.push(() => nc.close());
  await publishAll(nc, ADVISORY, GARBAGE_ADVISORIES);
  const { sweepId } = await c.submit(`name: ${uniqueName('advisory')}\nmethod: sleep\nparams: { duration_ms: 50 }\ngrid: { x: { linspace: [0, 1, 10] } }\nobjectives: [{ metric: score, goal: max }]\n`);
  const agg = c.sweep(sweepId);
  await publishAll(nc, ADVISORY, GARBAGE_ADVISORIES);
  await eventually(() => agg.finished, 60_000, 'sweep to finish');
  t.is(agg.record.state, SweepState.SWEEP_STATE_COMPLETED);
  t.is(c.results(sweepId).length, 10);
  t.true(c.results(sweepId).every((r) => r.status === TrialStatus.TRIAL_STATUS_OK));
  const series = 'fairsweep_malformed_messages_total{subject="advisories"}';
  await eventually(async () => (await coordinatorMetric(fixture.server, series)) === 2 * GARBAGE_ADVISORIES.length, 10_000, 'every garbage advisory counted');
  // Still subscribed: one more is counted too.
  await publishAll(nc, ADVISORY, ['{']);
  await eventually(async () => (await coordinatorMetric(fixture.server, series)) === 2 * GARBAGE_ADVISORIES.length + 1, 10_000, 'a later garbage advisory counted');
  const logged = log.lines.filter((l) => l.msg === 'dropped malformed advisories message');
  t.true(logged.length >= 2 * GARBAGE_ADVISORIES.length + 1);
  t.regex(String(logged[0]?.fields.error), /max-deliveries advisory/);
  t.is(logged[0]?.fields.subject, ADVISORY);
});

test('a shard JetStream exhausted after one of its trials was recorded: failed results for the others only, no error, the shard deleted; garbage shards exhausted with it are malformed, not exhausted shards', async (t) => {
  // Its own server and no worker: the test takes the shards itself. The periodic check is slow, so
  // the advisories (checked against JetStream) are what ends the sweep.
  const own = await startNats();
  cleanups.push(() => own.stop());
  const ownLog = new RecordingLogger();
  const s = await CoordinatorServer.start({ nats: { servers: own.url }, grpc: '127.0.0.1:0', metrics: '127.0.0.1:0', ackWaitMs: 1_000, reconcileIntervalMs: 120_000, log: ownLog });
  cleanups.push(() => s.close());
  const c = s.coordinator;
  const { sweepId, totalShards } = await c.submit(`name: ${uniqueName('recorded')}\nmethod: sleep\nparams: { duration_ms: 1 }\ngrid: { x: { linspace: [0, 1, 3] } }\nshard_size: 3\nmax_attempts: 1\nobjectives: [{ metric: score, goal: max }]\n`);
  t.is(totalShards, 1);
  const sweep = c.sweep(sweepId);
  const nc = await connect({ servers: own.url });
  cleanups.push(() => nc.close());
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  // Two messages that decode as shards but are not shards of this sweep, on its subject.
  const otherSweep: Shard = { id: 'other-s0', sweepId: 'other-sweep', method: 'sleep', dataset: undefined, maxAttempts: 1, pack: 0, selection: '', trials: [{ id: 'tother', sweepId: 'other-sweep', index: 0, params: {}, seed: 0 }] };
  await js.publish(shardSubject(sweepId), new Uint8Array(), { msgID: 'junk-empty' });
  await js.publish(shardSubject(sweepId), Shard.encode(otherSweep).finish(), { msgID: 'junk-other' });
  // Act as a worker that dies: take every shard, record the first trial of the real one, acknowledge nothing.
  const consumer = await js.consumers.get(SHARDS_STREAM, sweepConsumerName(sweepId));
  const taken: JsMsg[] = [];
  await eventually(async () => {
    for await (const m of await consumer.fetch({ max_messages: 3 - taken.length, expires: 1_000 })) taken.push(m);
    return taken.length === 3;
  }, 10_000, 'the shard and the two junk messages delivered');
  const real = taken.find((m) => m.data.length > 0 && Shard.decode(m.data).sweepId === sweepId);
  if (!real) return t.fail('the real shard was not delivered');
  const shard = Shard.decode(real.data);
  const [first, ...others] = shard.trials;
  if (!first) return t.fail('empty shard');
  const ok: TrialResult = { trialId: first.id, sweepId, params: first.params, seed: first.seed, index: first.index, status: TrialStatus.TRIAL_STATUS_OK, error: '', metrics: { score: 1 }, groupMetrics: [], attempts: 1, workerId: 'test', backend: 'none', device: '', startedAtMs: 1, finishedAtMs: 2 };
  await js.publish(resultSubject(sweepId, first.id), TrialResult.encode(ok).finish(), { msgID: first.id });
  await eventually(() => sweep.results.has(first.id), 10_000, 'the first trial recorded');
  // Garbage first: the advisory subscription survives it.
  await publishAll(nc, ADVISORY, GARBAGE_ADVISORIES);
  // Past the ack deadline, a pull has JetStream give up on the three (max_deliver 1) and announce it.
  // (Once the sweep has ended its consumer is gone and a pull fails.)
  await eventually(async () => {
    if (sweep.done < 3) await consumer.next({ expires: 1_000 }).catch(() => null);
    return sweep.done === 3;
  }, 20_000, 'failed results for the other trials of the shard');
  const gone = async (seq: number): Promise<boolean> => jsm.streams.getMessage(SHARDS_STREAM, { seq }).then((m) => m === null, (err: unknown) => isNotFound(err));
  await eventually(async () => (await Promise.all(taken.map((m) => gone(m.seq)))).every(Boolean), 10_000, 'the exhausted shard and the junk deleted');
  const results = c.results(sweepId);
  t.deepEqual(results.map((r) => r.trialId), [first.id, ...others.map((o) => o.id)]);
  t.deepEqual({ ...results[0], gpu: undefined, step: undefined }, { ...ok, gpu: undefined, step: undefined }, 'the recorded result stands');
  t.true(results.slice(1).every((r) => r.status === TrialStatus.TRIAL_STATUS_FAILED && /no result after 1 delivery attempt\(s\) of shard/.test(r.error)));
  t.is(await storedResultCount(own.url, sweepId), 3, 'one result message per trial, none for the recorded one');
  t.is(await coordinatorMetric(s, 'fairsweep_shards_exhausted_total'), 1, 'only the real shard counts as exhausted');
  // The junk is counted as malformed when its advisory is checked before the finished sweep's queue
  // is purged, and just removed with that queue otherwise; never as an exhausted shard (above).
  t.true((await coordinatorMetric(s, 'fairsweep_malformed_messages_total{subject="shards"}')) <= 2, 'at most the two junk messages count as malformed shards');
  t.is(await coordinatorMetric(s, 'fairsweep_duplicate_results_total'), 0);
  // A check of an exhausted shard that hits a transient JetStream error is retried by design (warned
  // as "will retry"); anything else that failed, or any error, must not happen.
  t.deepEqual(ownLog.lines.filter((l) => l.level === 'error' || (/failed/.test(l.msg) && !/will retry$/.test(l.msg))).map((l) => l.msg), []);
  t.is(sweep.record.state, SweepState.SWEEP_STATE_COMPLETED);
});
