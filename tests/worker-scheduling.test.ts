import test from 'ava';
import { setTimeout as delay } from 'node:timers/promises';
import { CoordinatorServer } from '../coordinator/index.js';
import { NatsServer } from '../common/index.js';
import { TrialStatus } from '../proto/index.js';
import { startNats, spawnWorker, eventually, uniqueName, type CliProcess } from './helpers/cluster.js';

/** How long the first worker alone may (wrongly) fetch the second shard before the second worker starts. */
const HOLD_BACK_WINDOW_MS = 1_000;

let nats: NatsServer;
let server: CoordinatorServer;
const procs: CliProcess[] = [];

test.before(async () => {
  nats = await startNats();
  server = await CoordinatorServer.start({ nats: { servers: nats.url }, grpc: '127.0.0.1:0', metrics: null });
});

test.after.always(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')));
  await server?.close();
  await nats?.stop();
});

test('a worker does not hold back a long shard it cannot start: two long trials run at once on two workers started apart', async (t) => {
  const c = server.coordinator;
  const first = await spawnWorker(nats.url, ['--slots', '1']);
  procs.push(first);
  const { sweepId } = await c.submit(
    `name: ${uniqueName('long')}\nmethod: sleep\nparams: { duration_ms: 6000 }\ngrid: { x: [0, 1] }\nobjectives: [{ metric: score, goal: max }]\n`,
  );
  const agg = c.sweep(sweepId);
  await eventually(() => agg.running.size > 0, 30_000, 'the first trial running');
  // A negative check, so a bounded wait: nothing signals that a worker chose not to fetch, so give
  // the first worker a window in which it could wrongly take the second shard; the second arrives late.
  await delay(HOLD_BACK_WINDOW_MS);
  const second = await spawnWorker(nats.url, ['--slots', '1']);
  procs.push(second);
  await eventually(() => agg.finished, 60_000, 'the sweep to finish');
  const results = c.results(sweepId);
  t.is(results.length, 2);
  t.true(results.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK && r.attempts === 1));
  const idOf = (w: CliProcess): string | undefined => w.output.match(/worker (\S+) running/)?.[1];
  t.deepEqual(new Set(results.map((r) => r.workerId)), new Set([idOf(first), idOf(second)]), 'each worker ran one trial');
});
