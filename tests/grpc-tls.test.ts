import test from 'ava';
import { Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { CoordinatorServer } from '../coordinator/index.js';
import { NatsServer } from '../common/index.js';
import { SweepServiceClient, WorkerServiceClient, type ListWorkersResponse } from '../proto/index.js';
import { channelCredentials, GrpcTlsOptionsError } from '../common/index.js';
import { WorkerServer } from '../worker/index.js';
import { makeCerts, type TestCerts } from './helpers/certs.js';
import { spawnCli, startNats } from './helpers/cluster.js';

let nats: NatsServer;
let server: CoordinatorServer;
let worker: WorkerServer;
let certs: TestCerts;

test.before(async () => {
  certs = makeCerts();
  nats = await startNats();
  const tls = { certFile: certs.serverCert, keyFile: certs.serverKey, clientCaFile: certs.ca };
  server = await CoordinatorServer.start({ nats: { servers: nats.url }, grpc: '127.0.0.1:0', metrics: null, tls });
  worker = await WorkerServer.start({ nats: { servers: nats.url }, backend: 'none', grpc: '127.0.0.1:0', metrics: null, tls });
});

test.after.always(async () => {
  await worker?.close();
  await server?.close();
  await nats?.stop();
  certs?.remove();
});

function listWorkers(client: SweepServiceClient): Promise<ListWorkersResponse> {
  return new Promise((resolve, reject) => client.listWorkers({}, new Metadata(), { deadline: Date.now() + 5_000 }, (e: ServiceError | null, r: ListWorkersResponse) => (e ? reject(e) : resolve(r))));
}

test('mutual TLS: a client with a certificate from the CA is served', async (t) => {
  const client = new SweepServiceClient(`127.0.0.1:${server.grpcPort}`, channelCredentials({ caFile: certs.ca, certFile: certs.clientCert, keyFile: certs.clientKey }));
  const res = await listWorkers(client);
  t.true(Array.isArray(res.workers));
  client.close();
  const wc = new WorkerServiceClient(`127.0.0.1:${worker.grpcPort}`, channelCredentials({ caFile: certs.ca, certFile: certs.clientCert, keyFile: certs.clientKey }));
  const d = await new Promise<{ worker?: { id: string } }>((resolve, reject) => wc.describe({}, (e, r) => (e ? reject(e) : resolve(r))));
  t.is(d.worker?.id, worker.worker.id);
  wc.close();
});

test('a plaintext client, and a TLS client without a client certificate, are refused', async (t) => {
  const plain = new SweepServiceClient(`127.0.0.1:${server.grpcPort}`, credentials.createInsecure());
  const e1 = await t.throwsAsync(listWorkers(plain));
  t.is((e1 as ServiceError).code, status.UNAVAILABLE);
  plain.close();
  const noCert = new SweepServiceClient(`127.0.0.1:${server.grpcPort}`, channelCredentials({ caFile: certs.ca }));
  const e2 = await t.throwsAsync(listWorkers(noCert));
  t.is((e2 as ServiceError).code, status.UNAVAILABLE);
  noCert.close();
});

test('Drain without a client certificate is refused, and the worker keeps running', async (t) => {
  for (const creds of [credentials.createInsecure(), channelCredentials({ caFile: certs.ca })]) {
    const wc = new WorkerServiceClient(`127.0.0.1:${worker.grpcPort}`, creds);
    const err = await t.throwsAsync(new Promise((resolve, reject) => wc.drain({ handBack: true }, new Metadata(), { deadline: Date.now() + 5_000 }, (e, r) => (e ? reject(e) : resolve(r)))));
    t.is((err as ServiceError).code, status.UNAVAILABLE);
    wc.close();
  }
  t.is(worker.worker.state, 'running');
});

test('a server given a client CA, or a CA, without its own certificate and key refuses to start instead of serving plaintext', async (t) => {
  for (const tls of [{ clientCaFile: certs.ca }, { clientCaFile: certs.ca, certFile: certs.serverCert }, { caFile: certs.ca }, { keyFile: certs.serverKey }]) {
    await t.throwsAsync(CoordinatorServer.start({ nats: { servers: nats.url }, grpc: '127.0.0.1:0', metrics: null, tls }), { instanceOf: GrpcTlsOptionsError }, JSON.stringify(tls));
    await t.throwsAsync(WorkerServer.start({ nats: { servers: nats.url }, backend: 'none', grpc: '127.0.0.1:0', metrics: null, tls }), { instanceOf: GrpcTlsOptionsError }, JSON.stringify(tls));
  }
  await t.throwsAsync(CoordinatorServer.start({ nats: { servers: nats.url }, grpc: '127.0.0.1:0', metrics: null, tls: { certFile: certs.serverCert, keyFile: `${certs.dir}/missing.key` } }), { instanceOf: GrpcTlsOptionsError, message: /--tls-key: cannot read .*missing\.key \(ENOENT\)/ });
  const cli = spawnCli(['coordinator', '--nats', nats.url, '--grpc', '127.0.0.1:0', '--metrics', 'none', '--tls-client-ca', certs.ca]);
  t.is((await cli.exited).code, 1);
  t.regex(cli.output, /fairsweep: error: gRPC server: a client CA \(--tls-client-ca\) requires the server certificate and key/);
});
