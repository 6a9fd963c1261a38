import test from 'ava';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { CoordinatorServer } from '../coordinator/index.js';
import { NatsServer } from '../common/index.js';
import { SHARDS_STREAM, SWEEPS_BUCKET, SweepRecord, SweepState, sweepConsumerName } from '../proto/index.js';
import { eventually, spawnWorker, uniqueName, type CliProcess } from './helpers/cluster.js';
import { fillStore, unfillStore } from './helpers/store-fill.js';

let nats: NatsServer | undefined;
let server: CoordinatorServer | undefined;
let worker: CliProcess | undefined;

test.after.always(async () => {
  await worker?.kill('SIGKILL');
  await server?.close();
  await nats?.stop();
});

/** A worker's /metrics, one number per series. */
async function workerMetrics(port: string): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return new Map(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]));
}

const sum = (m: Map<string, number>, prefix: string): number => [...m].filter(([k]) => k.startsWith(prefix)).reduce((s, [, v]) => s + v, 0);

async function storedState(url: string, id: string): Promise<SweepState | undefined> {
  const nc = await connect({ servers: url });
  try {
    const e = await (await new Kvm(nc).open(SWEEPS_BUCKET)).get(id);
    return e && e.operation === 'PUT' && e.value.length > 0 ? SweepRecord.decode(e.value).state : undefined;
  } finally {
    await nc.close();
  }
}

async function hasConsumer(url: string, id: string): Promise<boolean> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    return await jsm.consumers.info(SHARDS_STREAM, sweepConsumerName(id)).then(
      () => true,
      () => false,
    );
  } finally {
    await nc.close();
  }
}

test.serial('a store that fills while results come in: the worker backs off (little CPU, no trial run for nothing, one log line), cancel still works and is stored once there is room', async (t) => {
  const ns = await NatsServer.start({ jetstream: 'max_file_store: 1MB' });
  nats = ns;
  server = await CoordinatorServer.start({ nats: { servers: ns.url }, grpc: '127.0.0.1:0', metrics: null, reconcileIntervalMs: 300 });
  const c = server.coordinator;
  // Two shards of 100 trials, and a spec text (kept in the sweep's record) larger than both: removing
  // the queued shards cannot make room for the cancelled record.
  const { sweepId } = await c.submit(
    `name: ${uniqueName('filling')}\nmethod: sleep\nparams: { duration_ms: 25 }\ngrid: { x: { linspace: [0, 1, 200] } }\nshard_size: 100\nobjectives: [{ metric: score, goal: max }, { metric: cost, goal: min }]\n# ${'padding '.repeat(4000)}\n`,
  );
  const sweep = c.sweep(sweepId);
  worker = await spawnWorker(ns.url, ['--slots', '1', '--metrics', '127.0.0.1:0']);
  const port = (await worker.waitFor(/metrics=(\d+)/))[1] ?? '';
  await eventually(() => sweep.done >= 10, 30_000, 'results stored before the store fills');
  await fillStore(ns.url, 'FILL');
  t.false(sweep.finished);

  // The worker backs off: it stops running trials whose results cannot be stored.
  await eventually(async () => ((await workerMetrics(port)).get('fairsweep_worker_store_backoff_seconds') ?? 0) > 0, 20_000, 'the worker to back off');
  const before = await workerMetrics(port);
  const doneBefore = sweep.done;
  const windowMs = 4_000;
  await new Promise((r) => setTimeout(r, windowMs));
  const after = await workerMetrics(port);
  const cpu = (after.get('process_cpu_seconds_total') ?? NaN) - (before.get('process_cpu_seconds_total') ?? NaN);
  t.true(cpu / (windowMs / 1000) < 0.15, `the backing-off worker used ${((100 * cpu) / (windowMs / 1000)).toFixed(1)} % of a CPU`);
  const trialsRun = sum(after, 'fairsweep_worker_trials_total') - sum(before, 'fairsweep_worker_trials_total');
  t.true(trialsRun <= 1, `${trialsRun} trials ran while results could not be stored`);
  t.is(sweep.done, doneBefore, 'nothing was recorded meanwhile');
  t.true((after.get('fairsweep_worker_store_backoff_seconds') ?? 0) >= 1);
  t.is(worker.output.match(/results cannot be stored: JetStream's store is full/g)?.length, 1, `one log line for the episode: ${worker.output.slice(-2000)}`);
  t.notRegex(worker.output, /shard given back/);

  // Cancel on a full store: the sweep stops; the record JetStream refused is reported as not stored.
  const progress = await c.cancel(sweepId);
  t.is(progress.state, SweepState.SWEEP_STATE_CANCELLED);
  const reported = c.get(sweepId).sweep;
  t.is(reported.state, SweepState.SWEEP_STATE_CANCELLED);
  t.regex(reported.reason, /^cancelled by request; not stored yet, only this coordinator knows: JetStream's store is full/);
  t.is(await storedState(ns.url, sweepId), SweepState.SWEEP_STATE_RUNNING, 'the store still holds the running sweep');
  t.false(await hasConsumer(ns.url, sweepId), 'its consumer is gone: no worker takes its shards');

  // Room again: the cancel is stored, the worker's retried result goes through and it stops backing off.
  await unfillStore(ns.url, 'FILL');
  await eventually(async () => (await storedState(ns.url, sweepId)) === SweepState.SWEEP_STATE_CANCELLED, 20_000, 'the cancel to be stored');
  t.is(c.get(sweepId).sweep.reason, 'cancelled by request');
  await eventually(async () => (await workerMetrics(port)).get('fairsweep_worker_store_backoff_seconds') === 0, 80_000, 'the worker to take shards again');
});
