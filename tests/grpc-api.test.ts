import test from 'ava';
import { Metadata, credentials, makeGenericClientConstructor, status, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { CoordinatorServer, parseSpecText } from '../coordinator/index.js';
import { NatsServer } from '../common/index.js';
import { SweepServiceClient, WorkerServiceClient, type WatchResponse, type ResultsResponse, type Params, SweepState, Goal, canonicalJson, fromParamMap } from '../proto/index.js';
import { WorkerServer } from '../worker/index.js';
import { startNats, uniqueName } from './helpers/cluster.js';

let nats: NatsServer;
let server: CoordinatorServer;
let worker: WorkerServer;
let client: SweepServiceClient;

test.before(async () => {
  nats = await startNats();
  server = await CoordinatorServer.start({ nats: { servers: nats.url }, grpc: '127.0.0.1:0', metrics: '127.0.0.1:0' });
  worker = await WorkerServer.start({ nats: { servers: nats.url }, slots: 4, backend: 'none', grpc: '127.0.0.1:0', metrics: '127.0.0.1:0' });
  client = new SweepServiceClient(`127.0.0.1:${server.grpcPort}`, credentials.createInsecure());
});

test.after.always(async () => {
  client?.close();
  await worker?.close();
  await server?.close();
  await nats?.stop();
});

function unary<Req, Res>(fn: (req: Req, md: Metadata, opts: { deadline: number }, cb: (e: ServiceError | null, r: Res) => void) => unknown, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => fn.call(client, req, new Metadata(), { deadline: Date.now() + 10_000 }, (e, r) => (e ? reject(e) : resolve(r))));
}

const spec = (name: string, n = 8, ms = 10): string => `
name: ${name}
method: sleep
params: { duration_ms: ${ms} }
grid: { x: { linspace: [0, 1, ${n}] } }
objectives: [{ metric: score, goal: max }, { metric: cost, goal: min }]
`;

test.serial('invalid specs map to INVALID_ARGUMENT with the path in the message', async (t) => {
  const err = await t.throwsAsync(unary(client.submit, { specYaml: spec('bad').replace('linspace: [0, 1, 8]', 'linspace: [0, 1, "x"]') }));
  t.is((err as ServiceError).code, status.INVALID_ARGUMENT);
  t.regex((err as ServiceError).details, /grid\.x\.linspace\[2\]/);
  const empty = await t.throwsAsync(unary(client.submit, { specYaml: '  ' }));
  t.is((empty as ServiceError).code, status.INVALID_ARGUMENT);
});

test.serial('unknown sweeps map to NOT_FOUND, malformed ids to INVALID_ARGUMENT', async (t) => {
  const nf = await t.throwsAsync(unary(client.get, { sweepId: 'nope-123' }));
  t.is((nf as ServiceError).code, status.NOT_FOUND);
  const bad = await t.throwsAsync(unary(client.get, { sweepId: 'Bad Id!' }));
  t.is((bad as ServiceError).code, status.INVALID_ARGUMENT);
  const fr = await t.throwsAsync(unary(client.frontier, { sweepId: 'nope-123', objectives: [], reference: [], perTrial: false }));
  t.is((fr as ServiceError).code, status.NOT_FOUND);
});

test.serial('oversized requests are refused', async (t) => {
  const err = await t.throwsAsync(unary(client.submit, { specYaml: `name: big\n# ${'x'.repeat(5 * 1024 * 1024)}\n` }));
  t.is((err as ServiceError).code, status.RESOURCE_EXHAUSTED);
});

test.serial('Submit, Watch (progress and results until the end), Results, Frontier, Get', async (t) => {
  const sub = await unary(client.submit, { specYaml: spec(uniqueName('api'), 12) });
  t.is(sub.totalTrials, 12);
  const events: WatchResponse[] = [];
  await new Promise<void>((resolve, reject) => {
    const stream = client.watch({ sweepId: sub.sweepId, replay: true });
    stream.on('data', (e: WatchResponse) => events.push(e));
    stream.on('error', reject);
    stream.on('end', () => resolve());
  });
  const results = events.flatMap((e) => (e.event?.$case === 'result' ? [e.event.value] : []));
  const progress = events.flatMap((e) => (e.event?.$case === 'progress' ? [e.event.value] : []));
  t.is(new Set(results.map((r) => r.trialId)).size, 12);
  t.is(progress.at(-1)?.state, SweepState.SWEEP_STATE_COMPLETED);
  t.is(progress.at(-1)?.ok, 12);
  const all = await new Promise<number>((resolve, reject) => {
    let n = 0;
    const s = client.results({ sweepId: sub.sweepId });
    s.on('data', () => n++);
    s.on('error', reject);
    s.on('end', () => resolve(n));
  });
  t.is(all, 12);
  const fr = await unary(client.frontier, { sweepId: sub.sweepId, objectives: [], reference: [], perTrial: true });
  t.true((fr.frontier?.rows.length ?? 0) > 0);
  t.truthy(fr.frontier?.hypervolume);
  const one = await unary(client.frontier, { sweepId: sub.sweepId, objectives: [{ metric: 'score', goal: Goal.GOAL_MAX, aggregate: '' }], reference: [], perTrial: true });
  t.is(one.frontier?.rows.length, 1, 'a single objective has one best row (no ties here)');
  const got = await unary(client.get, { sweepId: sub.sweepId });
  t.is(got.sweep?.spec?.method, 'sleep');
  t.is(got.progress?.ok, 12);
  const refused = await t.throwsAsync(unary(client.cancel, { sweepId: sub.sweepId }));
  t.is((refused as ServiceError).code, status.FAILED_PRECONDITION, 'a completed sweep is not cancelled');
  t.regex((refused as ServiceError).details, /has already completed/);
});

test.serial('a sweep whose every trial fails ends failed: Watch ends with it, Get says why, Cancel is refused', async (t) => {
  const sub = await unary(client.submit, {
    specYaml: `name: ${uniqueName('allfail')}\nmethod: sleep\nparams: { duration_ms: 5, fail_rate: 1 }\ngrid: { x: { linspace: [0, 1, 4] } }\nmax_attempts: 1\nobjectives: [{ metric: score, goal: max }]\n`,
  });
  const progress: WatchResponse[] = [];
  await new Promise<void>((resolve, reject) => {
    const stream = client.watch({ sweepId: sub.sweepId, replay: false });
    stream.on('data', (e: WatchResponse) => progress.push(e));
    stream.on('error', reject);
    stream.on('end', () => resolve());
  });
  const last = progress.flatMap((e) => (e.event?.$case === 'progress' ? [e.event.value] : [])).at(-1);
  t.is(last?.state, SweepState.SWEEP_STATE_FAILED);
  t.deepEqual([last?.ok, last?.failed, last?.frontierSize], [0, 4, 0]);
  const got = await unary(client.get, { sweepId: sub.sweepId });
  t.is(got.sweep?.state, SweepState.SWEEP_STATE_FAILED);
  t.regex(got.sweep?.reason ?? '', /^every trial failed \(4 of 4\); the first error: injected failure/);
  t.true((got.sweep?.finishedAtMs ?? 0) > 0);
  const err = await t.throwsAsync(unary(client.cancel, { sweepId: sub.sweepId }));
  t.is((err as ServiceError).code, status.FAILED_PRECONDITION);
  t.regex((err as ServiceError).details, /has already failed/);
  const text = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
  t.regex(text, /fairsweep_sweeps\{state="failed"\} 1\n/);
});

test.serial('a random search runs through the orchestrator: every drawn point crossed with the grid and seeds, once', async (t) => {
  const yaml = `
name: ${uniqueName('search')}
method: sleep
params: { duration_ms: 5 }
grid: { mode: [a, b] }
search:
  samples: 6
  seed: 11
  space:
    x: { log_uniform: [0.001, 10] }
    width: { uniform: [8, 64], integer: true, repeat: 2 }
    kind: { choice: [full, lora] }
seeds: [0, 1]
objectives: [{ metric: score, goal: max }]
`;
  const sub = await unary(client.submit, { specYaml: yaml });
  t.is(sub.totalTrials, 2 * 6 * 2);
  await new Promise<void>((resolve, reject) => {
    const stream = client.watch({ sweepId: sub.sweepId, replay: false });
    stream.on('data', () => undefined);
    stream.on('error', reject);
    stream.on('end', () => resolve());
  });
  const rows = await new Promise<{ params: Params; seed: number }[]>((resolve, reject) => {
    const out: { params: Params; seed: number }[] = [];
    const s = client.results({ sweepId: sub.sweepId });
    s.on('data', (r: ResultsResponse) => { if (r.result) out.push({ params: fromParamMap(r.result.params), seed: r.result.seed }); });
    s.on('error', reject);
    s.on('end', () => resolve(out));
  });
  const expected = parseSpecText(yaml).samples.flatMap((p) => ['a', 'b'].flatMap((mode) => [0, 1].map((seed) => canonicalJson({ params: { ...p, mode, duration_ms: 5 }, seed }))));
  t.deepEqual(rows.map((r) => canonicalJson(r)).sort(), expected.sort());
  const got = await unary(client.get, { sweepId: sub.sweepId });
  t.is(got.sweep?.spec?.search?.samples, 6);
  t.is(got.sweep?.spec?.search?.seed, 11);
  t.deepEqual(got.sweep?.spec?.search?.space.x?.kind, { $case: 'logUniform', value: { low: 0.001, high: 10 } });
  t.is(got.sweep?.spec?.search?.space.width?.repeat, 2);
  t.true(got.sweep?.spec?.search?.space.width?.integer);
});

test.serial('ListWorkers, worker Describe and the standard health service answer', async (t) => {
  const res = await unary(client.listWorkers, {});
  t.true(res.workers.some((w) => w.id === worker.worker.id && w.slots === 4));
  const wc = new WorkerServiceClient(`127.0.0.1:${worker.grpcPort}`, credentials.createInsecure());
  const d = await new Promise<{ worker?: { slots: number; backend: string } }>((resolve, reject) => wc.describe({}, (e, r) => (e ? reject(e) : resolve(r))));
  t.is(d.worker?.slots, 4);
  t.is(d.worker?.backend, 'none');
  wc.close();
  for (const port of [server.grpcPort, worker.grpcPort]) {
    const Health = makeGenericClientConstructor(healthService, 'Health');
    const hc = new Health(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as {
      check(req: { service: string }, cb: (e: ServiceError | null, r: { status: unknown }) => void): void;
      close(): void;
    };
    const h = await new Promise<{ status: unknown }>((resolve, reject) => hc.check({ service: '' }, (e, r) => (e ? reject(e) : resolve(r))));
    t.true(h.status === 'SERVING' || h.status === 1, String(h.status));
    hc.close();
  }
});

test.serial('/metrics exposes fairsweep_ metrics on coordinator and worker', async (t) => {
  const text = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
  for (const name of ['fairsweep_trials_completed_total', 'fairsweep_trial_duration_seconds_bucket', 'fairsweep_workers_connected', 'fairsweep_frontier_size', 'process_cpu_seconds_total']) {
    t.true(text.includes(name), name);
  }
  const w = await (await fetch(`http://127.0.0.1:${worker.metricsPort}/metrics`)).text();
  t.regex(w, /fairsweep_worker_trials_total\{method="sleep",outcome="ok"\} \d+/);
});
