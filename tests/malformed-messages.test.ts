import test from 'ava';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { CoordinatorServer } from '../coordinator/index.js';
import { NatsServer } from '../common/index.js';
import { SweepState, TrialStatus, TrialResult, resultSubject, shardSubject } from '../proto/index.js';
import { startNats, spawnWorker, eventually, uniqueName, type CliProcess } from './helpers/cluster.js';
import { reportFault } from './helpers/reliability.js';

let nats: NatsServer;
let server: CoordinatorServer;
const workers: CliProcess[] = [];

test.before(async () => {
  nats = await startNats();
  server = await CoordinatorServer.start({ nats: { servers: nats.url }, grpc: '127.0.0.1:0', metrics: '127.0.0.1:0', ackWaitMs: 2_000 });
  workers.push(await spawnWorker(nats.url, ['--slots', '2', '--metrics', '127.0.0.1:0']));
});

test.after.always(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await server?.close();
  await nats?.stop();
});

test('garbage and truncated protobuf on the shard and result subjects is dropped, counted and logged; the sweep completes intact', async (t) => {
  const c = server.coordinator;
  const { sweepId } = await c.submit(`name: ${uniqueName('garbage')}\nmethod: sleep\nparams: { duration_ms: 150 }\ngrid: { x: { linspace: [0, 1, 20] } }\nobjectives: [{ metric: score, goal: max }]\n`);
  const agg = c.sweep(sweepId);
  const nc = await connect({ servers: nats.url });
  const js = jetstream(nc);
  const valid = TrialResult.encode({ trialId: 'tfake', sweepId, params: {}, seed: 0, status: TrialStatus.TRIAL_STATUS_OK, error: '', metrics: { score: 99 }, groupMetrics: [], attempts: 1, workerId: 'x', backend: 'x', startedAtMs: 0, finishedAtMs: 0, index: 0 }).finish();
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
  const coordMetrics = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
  const dropped = Number(/fairsweep_malformed_messages_total\{subject="results"\} (\d+)/.exec(coordMetrics)?.[1] ?? 0);
  t.true(dropped >= 3, `coordinator counted ${dropped} malformed results`);
  const port = /metrics=(\d+)/.exec(workers[0]!.output)?.[1];
  const workerMetrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  t.regex(workerMetrics, /fairsweep_worker_malformed_messages_total\{subject="shards"\} [1-9]/);
  t.regex(workers[0]!.output, /dropped malformed shard message/);
  t.is(workers[0]!.proc.exitCode, null, 'the worker is still running');
  reportFault('garbage protobuf on shard and result subjects', 20, results.length, new Set(results.map((r) => r.trialId)).size);
});
