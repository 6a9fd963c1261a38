import test from 'ava';
import { createServer } from 'node:net';
import { CoordinatorServer } from '../coordinator/index.js';
import { NatsServer } from '../common/index.js';
import { SweepState, TrialStatus } from '../proto/index.js';
import { spawnWorker, eventually, uniqueName, type CliProcess } from './helpers/cluster.js';
import { storedResultCount } from './helpers/streams.js';
import { reportFault } from './helpers/reliability.js';

const nodes: NatsServer[] = [];
let server: CoordinatorServer;
const workers: CliProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

test.before(async () => {
  const routes = await Promise.all([0, 1, 2].map(() => freePort()));
  const started = await Promise.all(
    routes.map((port, i) =>
      NatsServer.start({
        serverName: `n${i + 1}`,
        config: `cluster { name: fairsweep-test, listen: "127.0.0.1:${port}", routes: [${routes.filter((p) => p !== port).map((p) => `"nats-route://127.0.0.1:${p}"`).join(', ')}] }`,
      }),
    ),
  );
  nodes.push(...started);
  const urls = nodes.map((n) => n.url).join(',');
  server = await CoordinatorServer.start({ nats: { servers: urls }, grpc: '127.0.0.1:0', metrics: null, replicas: 3, ackWaitMs: 2_000, reconcileIntervalMs: 1_000 });
  workers.push(await spawnWorker(urls, ['--slots', '2']), await spawnWorker(urls, ['--slots', '2']));
});

test.after.always(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await server?.close();
  await Promise.all(nodes.map((n) => n.stop()));
});

test('a three-node JetStream cluster (R3 streams) with one node killed mid-sweep: the sweep completes exactly once', async (t) => {
  const c = server.coordinator;
  const { sweepId } = await c.submit(`name: ${uniqueName('cluster')}\nmethod: sleep\nparams: { duration_ms: 100 }\ngrid: { x: { linspace: [0, 1, 40] } }\nmax_attempts: 10\nobjectives: [{ metric: score, goal: max }, { metric: cost, goal: min }]\n`);
  const agg = c.sweep(sweepId);
  await eventually(() => agg.done >= 8, 60_000, 'progress before the node is killed');
  await nodes[1]!.kill('SIGKILL');
  const timer = process.env.DEBUG_CLUSTER ? setInterval(() => console.log('done', agg.done, 'running', agg.running.size), 2000) : undefined;
  try {
    await eventually(() => agg.finished, 120_000, 'the sweep to finish on two nodes');
  } finally {
    clearInterval(timer);
    if (process.env.DEBUG_CLUSTER) console.log(workers.map((w) => w.output.slice(-3000)).join('\n-----\n'));
  }
  t.is(agg.record.state, SweepState.SWEEP_STATE_COMPLETED);
  const results = c.results(sweepId);
  t.is(results.length, 40);
  t.true(results.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK));
  // The sweep can finish on the stream leaders before the cluster has elected a new meta leader,
  // and until then JetStream API calls such as stream info time out: ask until it answers.
  const { stored } = await eventually(async () => ({ stored: await storedResultCount(`${nodes[0]!.url},${nodes[2]!.url}`, sweepId) }), 60_000, 'the stream info after the failover');
  t.is(stored, 40);
  reportFault('one node of a 3-node JetStream cluster (R3) SIGKILLed', 40, stored, new Set(results.map((r) => r.trialId)).size);
});
