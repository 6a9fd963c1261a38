import test from 'ava';
import { Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { CoordinatorServer } from '../coordinator/index.js';
import { NatsServer } from '../common/index.js';
import { SweepServiceClient, WorkerServiceClient, type ListWorkersResponse } from '../proto/index.js';
import { channelCredentials } from '../common/index.js';
import { WorkerServer } from '../worker/index.js';
import { makeCerts, type TestCerts } from './helpers/certs.js';
import { startNats } from './helpers/cluster.js';

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
