import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, PermissionViolationError, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, AckPolicy } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { CoordinatorServer, type CoordinatorServerOptions } from '../coordinator/index.js';
import { isNotFound, type NatsServer } from '../common/index.js';
import { RESULTS_STREAM, SHARDS_STREAM, SWEEPS_BUCKET, SweepRecord, SweepState, TrialResult, TrialStatus, cancelSubject, eventSubject, resultSubject, shardSubject, sweepConsumerName } from '../proto/index.js';
import { DEFAULT_JETSTREAM_MAX_FILE, generateNatsUsers, natsAuthConfig, type NatsUserCredentials } from '../cli/nats-auth-config.js';
import { NATS_ROLES, SWEEPS_STREAM, type NatsRole } from '../cli/nats-permissions.js';
import { eventually, spawnCli, startNats, uniqueName, type CliProcess } from './helpers/cluster.js';
import { REPO_ROOT } from './helpers/repo-files.js';

// nats-server started with the configuration `fairsweep credentials` writes: each role connects
// with its own user, and the server refuses what the role's permissions do not allow.

let nats: NatsServer;
let server: CoordinatorServer;
let users: Record<NatsRole, NatsUserCredentials>;

function usersByRole(list: readonly NatsUserCredentials[]): Record<NatsRole, NatsUserCredentials> {
  const of = (role: NatsRole): NatsUserCredentials => {
    const u = list.find((x) => x.role === role);
    if (!u) throw new Error(`no user for role ${role}`);
    return u;
  };
  return { coordinator: of('coordinator'), worker: of('worker'), client: of('client'), local: of('local') };
}
let dir: string;
let logFile: string;
const workers: CliProcess[] = [];
const conns: NatsConnection[] = [];

const sweepSpec = (name: string, params: string, n: number, extra = ''): string =>
  `name: ${uniqueName(name)}\nmethod: sleep\nparams: { ${params} }\ngrid: { x: { linspace: [0, 1, ${n}] } }\n${extra}objectives: [{ metric: score, goal: max }]\n`;

function coordinatorOptions(): CoordinatorServerOptions {
  const u = users.coordinator;
  return { nats: { servers: nats.url, user: u.user, pass: u.password }, grpc: '127.0.0.1:0', metrics: null, ackWaitMs: 1_000, reconcileIntervalMs: 300 };
}

async function spawnRoleWorker(role: NatsRole = 'worker'): Promise<CliProcess> {
  const u = users[role];
  const w = spawnCli(['worker', '--nats', nats.url, '--backend', 'none', '--slots', '2'], { FAIRSWEEP_NATS_USER: u.user, FAIRSWEEP_NATS_PASSWORD: u.password });
  workers.push(w);
  await w.waitFor(/worker \S+ running/);
  return w;
}

async function connectAs(role: NatsRole): Promise<NatsConnection> {
  const u = users[role];
  const nc = await connect({ servers: nats.url, user: u.user, pass: u.password, name: `test-${role}`, reconnect: false });
  conns.push(nc);
  return nc;
}

/**
 * Publishes on core NATS and resolves with the server's permission violation for that subject;
 * rejects when none comes within 5 s (the publish was allowed).
 */
async function publishRefused(nc: NatsConnection, subject: string, data: Uint8Array | string = ''): Promise<PermissionViolationError> {
  const status = nc.status();
  const refused = (async () => {
    for await (const s of status) {
      if (s.type === 'error' && s.error instanceof PermissionViolationError && s.error.operation === 'publish' && s.error.subject === subject) return s.error;
    }
    throw new Error('connection closed');
  })();
  nc.publish(subject, data);
  const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the server accepted a publish to ${subject}`)), 5_000).unref());
  return Promise.race([refused, timer]);
}

/** Lines of the server log reporting a permission violation by a fairsweep process (not by this test's probes). */
async function violationsByFairsweep(): Promise<string[]> {
  const text = await readFile(logFile, 'utf8');
  return text.split('\n').filter((l) => /Violation/i.test(l) && !l.includes('nats.js:test-'));
}

test.before(async () => {
  users = usersByRole(generateNatsUsers(NATS_ROLES));
  dir = await mkdtemp(join(tmpdir(), 'fairsweep-roles-'));
  logFile = join(dir, 'nats.log');
  nats = await startNats(`${natsAuthConfig(Object.values(users), DEFAULT_JETSTREAM_MAX_FILE)}\nlog_file: ${JSON.stringify(logFile)}\n`);
  server = await CoordinatorServer.start(coordinatorOptions());
});

test.after.always(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
  await server?.close();
  await nats?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test.serial('connections without credentials, or with a wrong password, are refused', async (t) => {
  await t.throwsAsync(connect({ servers: nats.url, reconnect: false }), { message: /authorization/i });
  await t.throwsAsync(connect({ servers: nats.url, user: users.worker.user, pass: users.coordinator.password, reconnect: false }), { message: /authorization/i });
  const w = spawnCli(['worker', '--nats', nats.url, '--backend', 'none']);
  t.not((await w.exited).code, 0, 'a worker without credentials does not start');
});

test.serial('coordinator and worker roles: sweeps complete, cancel, exhaust a shard and survive a coordinator restart, with no permission violation', async (t) => {
  let c = server.coordinator;
  let worker = await spawnRoleWorker();
  const a = await c.submit(sweepSpec('roles-ok', 'duration_ms: 10', 4));
  await eventually(() => c.sweep(a.sweepId).finished, 30_000, 'sweep to finish');
  t.true(c.results(a.sweepId).every((r) => r.status === TrialStatus.TRIAL_STATUS_OK));

  const b = await c.submit(sweepSpec('roles-cancel', 'duration_ms: 60000', 2));
  await eventually(() => c.sweep(b.sweepId).running.size > 0, 30_000, 'a trial of the sweep to start');
  await c.cancel(b.sweepId);
  t.is(c.get(b.sweepId).sweep.state, SweepState.SWEEP_STATE_CANCELLED);

  // A poison trial kills the worker holding it; with one attempt, the coordinator records it failed.
  const p = await c.submit(sweepSpec('roles-poison', 'duration_ms: 10, crash_rate: 1', 1, 'max_attempts: 1\n'));
  await worker.exited;
  worker = await spawnRoleWorker();
  await eventually(() => c.sweep(p.sweepId).finished, 30_000, 'the exhausted shard to be recorded');
  t.is(c.results(p.sweepId)[0]?.status, TrialStatus.TRIAL_STATUS_FAILED);

  await server.close();
  server = await CoordinatorServer.start(coordinatorOptions());
  c = server.coordinator;
  t.true(c.sweep(a.sweepId).finished, 'the restarted coordinator read its sweeps back');
  const d = await c.submit(sweepSpec('roles-after-restart', 'duration_ms: 10', 2));
  await eventually(() => c.sweep(d.sweepId).finished, 30_000, 'sweep after restart to finish');
  t.deepEqual(await violationsByFairsweep(), [], 'the coordinator and worker roles were refused nothing');
});

test.serial('the worker role cannot cancel a sweep: the publish is refused and the sweep completes', async (t) => {
  const c = server.coordinator;
  await spawnRoleWorker();
  const s = await c.submit(sweepSpec('roles-no-cancel', 'duration_ms: 1500', 2));
  await eventually(() => c.sweep(s.sweepId).running.size > 0, 30_000, 'a trial to start');
  const nc = await connectAs('worker');
  const refused = await publishRefused(nc, cancelSubject(s.sweepId));
  t.is(refused.subject, cancelSubject(s.sweepId));
  await eventually(() => c.sweep(s.sweepId).finished, 30_000, 'the sweep to finish');
  t.true(c.results(s.sweepId).every((r) => r.status === TrialStatus.TRIAL_STATUS_OK), 'no trial was cancelled');
});

/** How long a refused message is given to have an effect anyway (a few reconcile periods). */
const NO_EFFECT_WINDOW_MS = 1_500;

test.serial('the worker role cannot forge a max-deliveries advisory: the queued shard it names is not recorded failed', async (t) => {
  // No worker runs, so the sweep's shard stays queued.
  await Promise.all(workers.splice(0).map((w) => w.kill('SIGKILL')));
  const c = server.coordinator;
  const s = await c.submit(sweepSpec('roles-advisory', 'duration_ms: 10', 1));
  const admin = await jetstreamManager(await connectAs('coordinator'));
  const shard = await eventually(() => admin.streams.getMessage(SHARDS_STREAM, { last_by_subj: shardSubject(s.sweepId) }), 10_000, 'the shard to be queued');
  const nc = await connectAs('worker');
  const subject = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${SHARDS_STREAM}.${sweepConsumerName(s.sweepId)}`;
  await publishRefused(nc, subject, JSON.stringify({ type: 'io.nats.jetstream.advisory.v1.max_deliver', stream: SHARDS_STREAM, consumer: sweepConsumerName(s.sweepId), stream_seq: shard.seq, deliveries: 1 }));
  await new Promise((r) => setTimeout(r, NO_EFFECT_WINDOW_MS));
  t.is(c.results(s.sweepId).length, 0, 'no trial was recorded failed');
  await spawnRoleWorker();
  await eventually(() => c.sweep(s.sweepId).finished, 30_000, 'the sweep to finish once a worker runs');
  t.is(c.results(s.sweepId)[0]?.status, TrialStatus.TRIAL_STATUS_OK);
});

test.serial('the worker role cannot delete, create or change streams, delete consumers, publish shards or write sweep records', async (t) => {
  const nc = await connectAs('worker');
  const jsm = await jetstreamManager(nc);
  const violation = { message: /Permissions Violation/i };
  await t.throwsAsync(jsm.streams.delete(SHARDS_STREAM), violation);
  await t.throwsAsync(jsm.streams.delete(RESULTS_STREAM), violation);
  await t.throwsAsync(jsm.streams.add({ name: uniqueName('ROGUE'), subjects: ['rogue.>'] }), violation);
  await t.throwsAsync(jsm.streams.update(RESULTS_STREAM, { max_msgs_per_subject: 5 }), violation);
  await t.throwsAsync(jsm.streams.purge(RESULTS_STREAM), violation);
  await t.throwsAsync(jsm.consumers.delete(SHARDS_STREAM, sweepConsumerName('any')), violation);
  await publishRefused(nc, shardSubject('forged'));
  await publishRefused(nc, `$KV.${SWEEPS_BUCKET}.forged`, SweepRecord.encode(SweepRecord.fromPartial({ id: 'forged', state: SweepState.SWEEP_STATE_CANCELLED })).finish());
  const admin = await jetstreamManager(await connectAs('coordinator'));
  t.is((await admin.streams.info(SHARDS_STREAM)).config.name, SHARDS_STREAM, 'the shards stream is still there');
});

test.serial('a push consumer the worker role points at a cancel subject does not cancel the sweep', async (t) => {
  // nats-server does not check a push consumer's deliver subject against its creator's publish
  // permissions; what reaches a literal subscription on it are the records of the sweeps bucket,
  // the one stream workers may create consumers on. Workers hear cancellations on a wildcard
  // subscription, which such deliveries do not reach.
  const c = server.coordinator;
  const s = await c.submit(sweepSpec('roles-deliver', 'duration_ms: 1500', 2));
  await eventually(() => c.sweep(s.sweepId).running.size > 0, 30_000, 'a trial to start');
  const jsm = await jetstreamManager(await connectAs('worker'));
  await jsm.consumers
    .add(SWEEPS_STREAM, { name: uniqueName('redirect'), deliver_subject: cancelSubject(s.sweepId), ack_policy: AckPolicy.None, filter_subject: `$KV.${SWEEPS_BUCKET}.>` })
    .catch(() => undefined);
  await eventually(() => c.sweep(s.sweepId).finished, 30_000, 'the sweep to finish');
  t.true(c.results(s.sweepId).every((r) => r.status === TrialStatus.TRIAL_STATUS_OK), 'no trial was cancelled');
});

test.serial('the client role reads sweep records and results but cannot publish results, shards, events or cancellations, nor create consumers', async (t) => {
  const c = server.coordinator;
  await spawnRoleWorker();
  const s = await c.submit(sweepSpec('roles-client', 'duration_ms: 10', 2));
  await eventually(() => c.sweep(s.sweepId).finished, 30_000, 'sweep to finish');
  const trial = c.results(s.sweepId)[0];
  if (!trial) return t.fail('no result');

  const nc = await connectAs('client');
  const kv = await new Kvm(nc).open(SWEEPS_BUCKET);
  const entry = await kv.get(s.sweepId);
  t.is(entry && SweepRecord.decode(entry.value).state, SweepState.SWEEP_STATE_COMPLETED);
  const jsm = await jetstreamManager(nc);
  const stored = await jsm.streams.getMessage(RESULTS_STREAM, { last_by_subj: resultSubject(s.sweepId, trial.trialId) });
  t.is(stored && TrialResult.decode(stored.data).trialId, trial.trialId);

  const forged = resultSubject(s.sweepId, 'tforged');
  await publishRefused(nc, forged, TrialResult.encode({ ...trial, trialId: 'tforged' }).finish());
  await t.throwsAsync(jetstream(nc).publish(forged, new Uint8Array([1, 2, 3])), { message: /Permissions Violation/i });
  await publishRefused(nc, shardSubject(s.sweepId));
  await publishRefused(nc, cancelSubject(s.sweepId));
  await publishRefused(nc, eventSubject(s.sweepId));
  await t.throwsAsync(jsm.consumers.add(RESULTS_STREAM, { name: uniqueName('c'), ack_policy: AckPolicy.None }), { message: /Permissions Violation/i });
  const found = await jsm.streams.getMessage(RESULTS_STREAM, { last_by_subj: forged }).catch((err: unknown) => (isNotFound(err) ? null : Promise.reject(err)));
  t.is(found, null, 'no forged result was stored');
});

test.serial('the local role runs `fairsweep run --nats` (coordinator and its workers on one user)', async (t) => {
  // A server of its own: a second coordinator on the shared one would take part in its sweeps.
  const log = join(dir, 'local-nats.log');
  const local = await startNats(`${natsAuthConfig([users.local])}\nlog_file: ${JSON.stringify(log)}\n`);
  try {
    const out = join(dir, 'local-run');
    const specFile = join(dir, 'local.yaml');
    await writeFile(specFile, sweepSpec('roles-local', 'duration_ms: 10', 3));
    const run = spawnCli(['run', specFile, '--nats', local.url, '--workers', '1', '--out', out, '--quiet'], { FAIRSWEEP_NATS_USER: users.local.user, FAIRSWEEP_NATS_PASSWORD: users.local.password });
    const exit = await run.exited;
    t.is(exit.code, 0, run.output);
    t.is((await readFile(join(out, 'results.jsonl'), 'utf8')).trim().split('\n').length, 3);
    t.deepEqual((await readFile(log, 'utf8')).split('\n').filter((l) => /Violation/i.test(l)), []);
  } finally {
    await local.stop();
  }
});

test.serial('command trials under the worker role store artifacts that the client role fetches (fairsweep artifacts), with no permission violation', async (t) => {
  const c = server.coordinator;
  // Only this worker: the others refuse command trials.
  await Promise.all(workers.splice(0).map((x) => x.kill('SIGKILL')));
  const u = users.worker;
  const w = spawnCli(['worker', '--nats', nats.url, '--backend', 'none', '--allow-command'], { FAIRSWEEP_NATS_USER: u.user, FAIRSWEEP_NATS_PASSWORD: u.password });
  workers.push(w);
  await w.waitFor(/worker \S+ running/);
  const program = join(REPO_ROOT, 'examples', 'byo', 'train.mjs');
  const s = await c.submit(`name: ${uniqueName('roles-cmd')}\nmethod: command\nparams: { command: ${JSON.stringify([process.execPath, program])}, steps: 20 }\ngrid: { lr: [0.1] }\nobjectives: [{ metric: test/accuracy, goal: max }]\n`);
  await eventually(() => c.sweep(s.sweepId).finished, 60_000, 'the command sweep to finish');
  const result = c.results(s.sweepId)[0];
  t.is(result?.status, TrialStatus.TRIAL_STATUS_OK, result?.error);
  const out = join(dir, 'artifacts');
  const cl = users.client;
  const fetch = spawnCli(['artifacts', s.sweepId, '--out', out, '--nats', nats.url], { FAIRSWEEP_NATS_USER: cl.user, FAIRSWEEP_NATS_PASSWORD: cl.password });
  t.is((await fetch.exited).code, 0, fetch.output);
  t.regex(await readFile(join(out, result?.trialId ?? '', 'a1', 'output', 'predictions.csv'), 'utf8'), /^split,y_true,y_score,group,environment\n/);
  t.deepEqual(await violationsByFairsweep(), [], 'the worker and client roles were refused nothing');
  const refused = spawnCli(['artifacts', s.sweepId, '--delete', '--nats', nats.url], { FAIRSWEEP_NATS_USER: cl.user, FAIRSWEEP_NATS_PASSWORD: cl.password });
  t.not((await refused.exited).code, 0, 'the client role cannot remove artifacts');
});
