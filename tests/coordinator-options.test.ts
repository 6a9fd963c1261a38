/** Coordinator and coordinator-server options: defaults filled once, bad values refused by name. */
import test from 'ava';
import {
  CoordinatorServer, DEFAULT_ACK_WAIT_MS, DEFAULT_GRPC_ADDRESS, DEFAULT_MAX_TRIALS, DEFAULT_MAX_TRIAL_MEMORY_MB, DEFAULT_RECONCILE_INTERVAL_MS, DEFAULT_REPLICAS, InvalidOptionError,
  compileCoordinatorOptions, compileCoordinatorServerOptions, type CoordinatorServerOptions,
} from '../coordinator/index.js';

import { GrpcTlsOptionsError } from '../common/index.js';
const nats = { servers: 'nats://127.0.0.1:4222' };

test('every coordinator option has its documented default', (t) => {
  const o = compileCoordinatorOptions({ nats });
  t.deepEqual(
    { replicas: o.replicas, maxTrials: o.maxTrials, maxTrialMemoryMb: o.maxTrialMemoryMb, ackWaitMs: o.ackWaitMs, reconcileIntervalMs: o.reconcileIntervalMs },
    { replicas: DEFAULT_REPLICAS, maxTrials: DEFAULT_MAX_TRIALS, maxTrialMemoryMb: DEFAULT_MAX_TRIAL_MEMORY_MB, ackWaitMs: DEFAULT_ACK_WAIT_MS, reconcileIntervalMs: DEFAULT_RECONCILE_INTERVAL_MS },
  );
  t.deepEqual([DEFAULT_REPLICAS, DEFAULT_MAX_TRIALS, DEFAULT_MAX_TRIAL_MEMORY_MB, DEFAULT_ACK_WAIT_MS, DEFAULT_RECONCILE_INTERVAL_MS], [1, 100_000, 2048, 30_000, 5_000]);
  t.is(typeof o.log.info, 'function');
  t.true(Object.isFrozen(o));
  const given = compileCoordinatorOptions({ nats, replicas: 3, maxTrials: 10, ackWaitMs: 1_500, reconcileIntervalMs: 1_000 });
  t.deepEqual([given.replicas, given.maxTrials, given.ackWaitMs, given.reconcileIntervalMs], [3, 10, 1_500, 1_000]);
});

test('a bad coordinator option fails fast with an InvalidOptionError naming it', (t) => {
  const cases: [Parameters<typeof compileCoordinatorOptions>[0], string, RegExp][] = [
    [{ nats, replicas: 0 }, 'replicas', /^replicas: expected an integer from 1 to 5, got 0$/],
    [{ nats, replicas: 7 }, 'replicas', /got 7/],
    [{ nats, maxTrials: 2.5 }, 'maxTrials', /expected an integer at least 1, got 2\.5/],
    [{ nats, maxTrialMemoryMb: 0 }, 'maxTrialMemoryMb', /expected an integer at least 1, got 0/],
    [{ nats, ackWaitMs: -1 }, 'ackWaitMs', /got -1/],
    [{ nats, ackWaitMs: Number.NaN }, 'ackWaitMs', /got NaN/],
    [{ nats, reconcileIntervalMs: 0 }, 'reconcileIntervalMs', /from 10 to 2147483647, got 0/],
    [{ nats: { servers: [] } }, 'nats.servers', /one or more server URLs/],
    [{ nats: { servers: ' ' } }, 'nats.servers', /one or more server URLs/],
  ];
  for (const [options, option, message] of cases) {
    const err = t.throws(() => compileCoordinatorOptions(options), { instanceOf: InvalidOptionError }, option);
    t.is(err?.option, option);
    t.regex(err?.message ?? '', message, option);
  }
});

test('server options: gRPC and metrics addresses and TLS files are checked once, with defaults', async (t) => {
  const o = compileCoordinatorServerOptions({ nats });
  t.deepEqual(o.grpc, { host: '127.0.0.1', port: 50051 });
  t.is(DEFAULT_GRPC_ADDRESS, '127.0.0.1:50051');
  t.is(o.metrics, null);
  t.is(o.tls, undefined);
  t.is(o.coordinator.ackWaitMs, DEFAULT_ACK_WAIT_MS);
  t.deepEqual(compileCoordinatorServerOptions({ nats, grpc: '[::1]:0', metrics: '0.0.0.0:9464' }).metrics, { host: '0.0.0.0', port: 9464 });
  const cases: [CoordinatorServerOptions, string][] = [
    [{ nats, grpc: 'localhost' }, 'grpc'],
    [{ nats, grpc: '127.0.0.1:70000' }, 'grpc'],
    [{ nats, metrics: 'x:y' }, 'metrics'],
    [{ nats, grpc: '127.0.0.1:0', ackWaitMs: 5 }, 'ackWaitMs'],
  ];
  for (const [options, option] of cases) {
    t.is(t.throws(() => compileCoordinatorServerOptions(options), { instanceOf: InvalidOptionError }, option)?.option, option);
  }
  // TLS files that would serve plaintext: the one server-side check of common/grpc.ts, before any connection.
  for (const tls of [{ certFile: 'server.pem' }, { keyFile: 'server.key' }, { clientCaFile: 'ca.pem' }]) {
    t.throws(() => compileCoordinatorServerOptions({ nats, tls }), { instanceOf: GrpcTlsOptionsError, message: /--tls-/ }, JSON.stringify(tls));
  }
  // Refused before any connection is tried: no NATS server runs at this address.
  await t.throwsAsync(CoordinatorServer.start({ nats: { servers: 'nats://127.0.0.1:1' }, grpc: '127.0.0.1:0', replicas: 9 }), { instanceOf: InvalidOptionError, message: /^replicas:/ });
});
