import test from 'ava';
import { createServer, type Server } from 'node:net';
import { Registry } from 'prom-client';
import { ListenError, startGrpcServer, startMetricsServer, type NatsServer } from '../common/index.js';
import { spawnCli, startNats } from './helpers/cluster.js';

// A coordinator or worker whose port is taken fails at once with the address and the flag to change,
// before it connects to NATS or says it is ready; checked against a real occupied port.

let nats: NatsServer;
let busy: Server;
let busyPort = 0;

test.before(async () => {
  nats = await startNats();
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
  const address = busy.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  busyPort = address.port;
});

test.after.always(async () => {
  await new Promise<void>((resolve) => (busy ? busy.close(() => resolve()) : resolve()));
  await nats?.stop();
});

const taken = (): string => `127.0.0.1:${busyPort}`;

for (const [what, args, flag, purpose] of [
  ['coordinator gRPC', () => ['coordinator', '--grpc', taken(), '--metrics', 'none'], '--grpc', 'gRPC'],
  ['coordinator metrics', () => ['coordinator', '--grpc', '127.0.0.1:0', '--metrics', taken()], '--metrics', 'metrics'],
  ['worker gRPC', () => ['worker', '--backend', 'none', '--grpc', taken()], '--grpc', 'gRPC'],
  ['worker metrics', () => ['worker', '--backend', 'none', '--grpc', 'none', '--metrics', taken()], '--metrics', 'metrics'],
] as const) {
  test(`${what} port in use: exit 1 with the address and the flag to change, never "ready"`, async (t) => {
    const p = spawnCli([...args(), '--nats', nats.url], { FAIRSWEEP_LOG_LEVEL: 'info' });
    const exit = await p.exited;
    t.is(exit.code, 1, p.output);
    t.is(
      p.output.trim(),
      `fairsweep: error: cannot listen on ${taken()} for ${purpose}: address in use (is another coordinator or worker running there?); pass ${flag} HOST:PORT with a free port (or HOST:0 to pick one)`,
    );
    t.notRegex(p.output, /coordinator ready|listening grpc=|worker \S+ running|No address added/);
  });
}

test('startGrpcServer and startMetricsServer report a taken port as a ListenError naming the address', async (t) => {
  const grpc = await t.throwsAsync(startGrpcServer(taken(), []), { instanceOf: ListenError });
  t.is(grpc?.address, taken());
  t.is(grpc?.code, 'EADDRINUSE');
  t.is(grpc?.purpose, 'gRPC');
  t.truthy(grpc?.cause);
  t.is(grpc?.message, `cannot listen on ${taken()} for gRPC: address in use`);
  const metrics = await t.throwsAsync(startMetricsServer(new Registry(), '127.0.0.1', busyPort), { instanceOf: ListenError });
  t.is(metrics?.message, `cannot listen on ${taken()} for metrics: address in use`);
  t.is(metrics?.code, 'EADDRINUSE');
  // A free port still works, and is given back.
  const ok = await startMetricsServer(new Registry(), '127.0.0.1', 0);
  t.true(ok.port > 0);
  await ok.close();
});
