import test, { type ExecutionContext } from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { CoordinatorServer, SweepLifecycle, parseSpecText } from '../coordinator/index.js';
import { planSweep } from '../coordinator/index.js';
import { toSweepSpecMessage } from '../coordinator/sweeps/spec-message.js';
import { NatsServer, isAlreadyRecorded, isStoreFull, isTransient, whenReady } from '../common/index.js';
import { SHARDS_STREAM, SWEEPS_BUCKET, SweepRecord, SweepServiceClient, SweepState, type SubmitResponse } from '../proto/index.js';
import { eventually, spawnCli, spawnWorker, uniqueName, type CliProcess } from './helpers/cluster.js';
import { fillStore } from './helpers/store-fill.js';

/** Servers, coordinators, clients and workers to stop after each test. */
const cleanups: (() => Promise<unknown> | unknown)[] = [];
test.afterEach.always(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve().then(c).catch(() => undefined);
});

interface Auth {
  user?: string;
  pass?: string;
}

/** A nats-server whose JetStream file store holds 1 MiB (`max_file_store`), or one with an account limited to 1 MiB. */
async function tinyNats(kind: 'server-limit' | 'account-limit'): Promise<{ nats: NatsServer; auth: Auth }> {
  const nats =
    kind === 'server-limit'
      ? await NatsServer.start({ jetstream: 'max_file_store: 1MB' })
      : await NatsServer.start({ config: 'accounts { FS: { jetstream: { max_file: 1MB, max_mem: 1MB }, users: [{ user: fs, password: fs }] } }' });
  cleanups.push(() => nats.stop());
  return { nats, auth: kind === 'account-limit' ? { user: 'fs', pass: 'fs' } : {} };
}

async function coordinator(nats: NatsServer, auth: Auth, metrics: string | null = null): Promise<{ server: CoordinatorServer; client: SweepServiceClient }> {
  const server = await CoordinatorServer.start({ nats: { servers: nats.url, ...auth }, grpc: '127.0.0.1:0', metrics, reconcileIntervalMs: 200 });
  cleanups.push(() => server.close());
  const client = new SweepServiceClient(`127.0.0.1:${server.grpcPort}`, credentials.createInsecure());
  cleanups.push(() => client.close());
  return { server, client };
}

function submit(client: SweepServiceClient, specYaml: string): Promise<SubmitResponse> {
  return new Promise((resolve, reject) => client.submit({ specYaml }, new Metadata(), { deadline: Date.now() + 30_000 }, (e: ServiceError | null, r: SubmitResponse) => (e ? reject(e) : resolve(r))));
}

/** 100,000 trials (about a thousand shards, some 5 MB): more than a 1 MiB store holds. */
const hugeSpec = (name: string): string =>
  `name: ${name}\nmethod: sleep\nparams: { duration_ms: 0 }\ngrid: { x: { linspace: [0, 1, 100] }, y: { linspace: [0, 1, 1000] } }\nobjectives: [{ metric: score, goal: max }, { metric: cost, goal: min }]\n`;
const smallSpec = (name: string, n = 4): string =>
  `name: ${name}\nmethod: sleep\nparams: { duration_ms: 10 }\ngrid: { x: { linspace: [0, 1, ${n}] } }\nobjectives: [{ metric: score, goal: max }, { metric: cost, goal: min }]\n`;

/** What JetStream holds of fairsweep: sweep record keys, queued shard messages, shard consumers, file storage used. */
async function holdings(url: string, auth: Auth): Promise<{ keys: string[]; shards: number; consumers: string[]; storage: number; streams: string[] }> {
  const nc = await connect({ servers: url, ...auth });
  try {
    const jsm = await jetstreamManager(nc);
    const kv = await new Kvm(nc).open(SWEEPS_BUCKET);
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    const consumers: string[] = [];
    for await (const c of jsm.consumers.list(SHARDS_STREAM)) consumers.push(c.name);
    const streams: string[] = [];
    for await (const si of jsm.streams.list()) streams.push(si.config.name);
    return { keys, shards: (await jsm.streams.info(SHARDS_STREAM)).state.messages, consumers, storage: (await jsm.getAccountInfo()).storage, streams };
  } finally {
    await nc.close();
  }
}

async function storedRecord(url: string, id: string): Promise<SweepRecord | undefined> {
  const nc = await connect({ servers: url });
  try {
    const e = await (await new Kvm(nc).open(SWEEPS_BUCKET)).get(id);
    return e && e.operation === 'PUT' && e.value.length > 0 ? SweepRecord.decode(e.value) : undefined;
  } finally {
    await nc.close();
  }
}

function assertNothingOf(t: ExecutionContext, name: string, h: Awaited<ReturnType<typeof holdings>>): void {
  t.deepEqual(h.keys.filter((k) => k.startsWith(name)), [], 'no sweep record');
  t.is(h.shards, 0, 'no shard queued');
  t.deepEqual(h.consumers, [], 'no consumer');
  t.deepEqual(h.streams.filter((n) => n.includes(name)), [], 'no artifacts bucket');
}

test.serial('a full store is told apart from "already recorded" and from a passing outage: refused at once, not retried', async (t) => {
  const { nats } = await tinyNats('server-limit');
  await fillStore(nats.url, 'FILL');
  const nc = await connect({ servers: nats.url });
  cleanups.push(() => nc.close());
  const started = Date.now();
  const err = await t.throwsAsync(whenReady(() => jetstream(nc).publish('FILL.more', new Uint8Array(100))));
  t.true(isStoreFull(err), String(err));
  t.false(isAlreadyRecorded(err));
  t.false(isTransient(err), 'a full store does not clear by waiting');
  t.true(Date.now() - started < 2_000, 'whenReady did not wait on it');
});

test.serial('a sweep too big for the server\'s store is refused with RESOURCE_EXHAUSTED, saying how to grow it, and leaves nothing behind', async (t) => {
  const { nats, auth } = await tinyNats('server-limit');
  const { server, client } = await coordinator(nats, auth);
  const before = await holdings(nats.url, auth);
  const name = uniqueName('huge');
  const err = await t.throwsAsync<ServiceError>(submit(client, hugeSpec(name)));
  t.is(err?.code, status.RESOURCE_EXHAUSTED, err?.details);
  t.regex(err?.details ?? '', /JetStream's store is full while sweep huge-\S+ was being dispatched \(\d+ of \d+ shards stored\); nothing of it was kept/);
  t.regex(err?.details ?? '', /max_file_store/);
  assertNothingOf(t, name, await holdings(nats.url, auth));
  t.true((await holdings(nats.url, auth)).storage <= before.storage + 1024, 'the room the shards took is free again');
  t.deepEqual(server.coordinator.listSweeps(), []);
  // The room is there for the next sweep.
  const ok = await submit(client, smallSpec(uniqueName('after')));
  t.is(ok.totalTrials, 4);
  t.deepEqual(server.coordinator.listSweeps().map((s) => s.id), [ok.sweepId]);
});

test.serial('a command sweep too big for the store leaves no artifacts bucket behind', async (t) => {
  const { nats, auth } = await tinyNats('server-limit');
  const { client } = await coordinator(nats, auth);
  const name = uniqueName('huge-command');
  const spec = hugeSpec(name).replace('method: sleep\nparams: { duration_ms: 0 }', 'method: command\nparams: { command: [node, prog.js] }');
  const err = await t.throwsAsync<ServiceError>(submit(client, spec));
  t.is(err?.code, status.RESOURCE_EXHAUSTED, err?.details);
  assertNothingOf(t, name, await holdings(nats.url, auth));
});

test.serial('with an account limit the coordinator sees, a sweep too big is refused before anything is written, and the store gauges show usage and limit', async (t) => {
  const { nats, auth } = await tinyNats('account-limit');
  const { server, client } = await coordinator(nats, auth, '127.0.0.1:0');
  const small = await submit(client, smallSpec(uniqueName('small'), 50));
  const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
  const gauge = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  const text = await eventually(async () => {
    const m = await scrape();
    return gauge(m, 'fairsweep_jetstream_storage_bytes') > 0 ? m : undefined;
  }, 10_000, 'the storage gauge');
  t.is(gauge(text, 'fairsweep_jetstream_storage_limit_bytes'), 1024 * 1024);
  t.true(gauge(text, 'fairsweep_jetstream_storage_bytes') < 1024 * 1024);

  const before = await holdings(nats.url, auth);
  const name = uniqueName('huge');
  const err = await t.throwsAsync<ServiceError>(submit(client, hugeSpec(name)));
  t.is(err?.code, status.RESOURCE_EXHAUSTED, err?.details);
  t.regex(err?.details ?? '', /JetStream has no room for sweep huge-\S+: its \d+ shards and record need about [\d.]+ MiB, and the account's JetStream limit leaves [\d.]+ KiB; [\d.]+ KiB of 1\.0 MiB used\. Nothing of it was kept/);
  t.regex(err?.details ?? '', /max_file/);
  const after = await holdings(nats.url, auth);
  t.deepEqual(after, before, 'nothing was written, not even for a moment');
  t.false(after.keys.some((k) => k.startsWith(name)));
  t.deepEqual(server.coordinator.listSweeps().map((s) => s.id), [small.sweepId]);
});

test.serial('a coordinator restarted with a sweep whose dispatch cannot be resumed starts, marks that sweep failed with the reason, and runs the others', async (t) => {
  const { nats, auth } = await tinyNats('server-limit');
  let { server } = await coordinator(nats, auth);
  const { sweepId: healthy } = await server.coordinator.submit(smallSpec(uniqueName('healthy'), 6));
  await server.close();

  // A coordinator stopped while it dispatched a sweep too big for the store: its record says dispatching.
  const text = hugeSpec(uniqueName('interrupted'));
  const spec = parseSpecText(text);
  const id = `${spec.name}-x1`;
  const plan = planSweep(id, spec);
  const record = SweepLifecycle.create({ id, spec: toSweepSpecMessage(spec, plan.shardSize), specYaml: text, totalTrials: plan.trials.length, totalShards: plan.shards.length, createdAtMs: Date.now() }).record;
  const nc = await connect({ servers: nats.url });
  await (await new Kvm(nc).open(SWEEPS_BUCKET)).put(id, SweepRecord.encode(record).finish());
  await nc.close();

  ({ server } = await coordinator(nats, auth));
  const c = server.coordinator;
  const failed = c.get(id).sweep;
  t.is(failed.state, SweepState.SWEEP_STATE_FAILED);
  t.regex(failed.reason, /^dispatch failed: JetStream's store is full while sweep \S+ was being dispatched again after a restart; its shards were removed/);
  t.is((await storedRecord(nats.url, id))?.state, SweepState.SWEEP_STATE_FAILED, 'the failure is stored');
  const h = await holdings(nats.url, auth);
  t.false(h.consumers.some((n) => n.includes(id)), 'its consumer is gone');
  t.is(c.get(healthy).sweep.state, SweepState.SWEEP_STATE_RUNNING);
  const worker: CliProcess = await spawnWorker(nats.url, ['--slots', '2']);
  cleanups.push(() => worker.kill('SIGKILL'));
  await eventually(() => c.sweep(healthy).finished, 60_000, 'the healthy sweep to complete');
  t.is(c.get(healthy).sweep.state, SweepState.SWEEP_STATE_COMPLETED);
  t.is(c.sweep(healthy).ok, 6);
});

test.serial('when nats-server stops answering, Submit says that JetStream did not answer (UNAVAILABLE), and nothing of the sweep is left once it answers again', async (t) => {
  const { nats, auth } = await tinyNats('server-limit');
  const { server, client } = await coordinator(nats, auth);
  const pid = nats.pid ?? -1;
  process.kill(pid, 'SIGSTOP');
  let stopped = true;
  cleanups.push(() => stopped && process.kill(pid, 'SIGCONT'));
  const dir = await mkdtemp(join(tmpdir(), 'fairsweep-store-full-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'spec.yaml'), smallSpec(uniqueName('unanswered')));
  const cli = spawnCli(['submit', join(dir, 'spec.yaml'), '--coordinator', `127.0.0.1:${server.grpcPort}`]);
  cleanups.push(() => cli.kill('SIGKILL'));
  const [err] = await Promise.all([t.throwsAsync<ServiceError>(submit(client, smallSpec(uniqueName('unanswered')))), cli.exited]);
  process.kill(pid, 'SIGCONT');
  stopped = false;
  t.is(err?.code, status.UNAVAILABLE, err?.details);
  t.deepEqual(err?.metadata.get('fairsweep-error-cause'), ['jetstream-unavailable']);
  t.regex(cli.output, /the coordinator at 127\.0\.0\.1:\d+ answered: JetStream did not answer within 5000 ms/, cli.output);
  t.notRegex(cli.output, /cannot reach the coordinator/);
  t.regex(err?.details ?? '', /^JetStream did not answer within 5000 ms while (checking the room for )?sweep unanswered-\S+ .*: is nats-server up, and is its store not full\?/);
  t.notRegex(err?.details ?? '', /internal error/);
  t.deepEqual(server.coordinator.listSweeps(), []);
  // Requests nats-server took before it stopped are carried out when it resumes: whatever they
  // wrote, the coordinator removes.
  await eventually(async () => {
    const h = await holdings(nats.url, auth);
    return h.consumers.length === 0 && h.shards === 0 && h.keys.length === 0 && server.coordinator.listSweeps().length === 0;
  }, 20_000, 'nothing of the sweep left');
  t.pass();
});
