import test from 'ava';
import { CoordinatorServer } from '../coordinator/index.js';
import { NatsServer } from '../common/index.js';
import { TrialStatus, canonicalJson, fromParamMap, type TrialResult } from '../proto/index.js';
import { startNats, spawnCli, eventually, uniqueName, type CliProcess } from './helpers/cluster.js';

// Packed training through the whole system: a coordinator, a worker process on the wasm backend
// and real training. The contract is equivalence: the same spec run with `pack: off` and `pack: 4`
// gives every trial the same metrics to within 1e-4.

const TOL = 1e-4;

let nats: NatsServer;
let server: CoordinatorServer;
let worker: CliProcess;

test.before(async () => {
  nats = await startNats();
  server = await CoordinatorServer.start({ nats: { servers: nats.url }, grpc: '127.0.0.1:0', metrics: null, ackWaitMs: 3_000 });
  worker = await wasmWorker();
});

async function wasmWorker(): Promise<CliProcess> {
  const w = spawnCli(['worker', '--nats', nats.url, '--backend', 'wasm', '--grpc', '127.0.0.1:0', '--metrics', '127.0.0.1:0', '--slots', '1']);
  await w.waitFor(/worker \S+ running/, 60_000);
  return w;
}

test.after.always(async () => {
  await worker?.kill('SIGKILL');
  await server?.close();
  await nats?.stop();
});

/** The worker's count of trials it trained in packs, for one method. */
async function packedTrials(method: string): Promise<number> {
  const port = (await worker.waitFor(/metrics=(\d+)/))[1];
  const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new RegExp(`^fairsweep_worker_packed_trials_total\\{method="${method}"\\} (\\d+)$`, 'm').exec(body);
  return Number(m?.[1] ?? 0);
}

async function run(method: string, body: string, pack: string): Promise<TrialResult[]> {
  const c = server.coordinator;
  const dataset = body.includes('dataset:') ? '' : 'dataset: { name: spurious, n: 200, d: 2 }\n';
  const { sweepId } = await c.submit(`name: ${uniqueName(method)}\nmethod: ${method}\n${dataset}${body}\npack: ${pack}\nobjectives: [{ metric: test/accuracy, goal: max }]\n`);
  const agg = c.sweep(sweepId);
  await eventually(() => agg.finished, 120_000, `the ${method} sweep (pack: ${pack}) to finish`);
  return c.results(sweepId);
}

const trialKey = (r: TrialResult): string => canonicalJson({ params: fromParamMap(r.params), seed: r.seed });

const CASES: readonly [method: string, body: string, packed: number][] = [
  ['erm', 'params: { steps: 30, hidden: [8] }\ngrid: { lr: [0.01, 0.05], l2: [0, 0.001] }\nseeds: [0, 1]', 8],
  ['group-balancing', 'params: { steps: 30, hidden: [8] }\ngrid: { strategy: [none, reweight, subsample], lr: [0.01, 0.05] }', 6],
  ['reweight', 'params: { steps: 30, hidden: [8] }\ngrid: { balance: [group, class], lr: [0.01, 0.05] }', 4],
  ['subsample', 'params: { steps: 30, hidden: [8] }\ngrid: { lr: [0.01, 0.05], l2: [0, 0.01] }', 4],
  ['irm', 'params: { steps: 30, hidden: [8], penalty_anneal_iters: 10 }\ngrid: { penalty_weight: [1, 100], lr: [0.01, 0.02] }', 4],
  ['vrex', 'params: { steps: 30, hidden: [8], penalty_anneal_iters: 10 }\ngrid: { penalty_weight: [1, 100], lr: [0.01, 0.02] }', 4],
  ['irm-extrapolated', 'params: { steps: 30, hidden: [8], penalty_anneal_iters: 5, lr: 0.01 }\ngrid: { variant: [v, mm], penalty_weight: [1, 10] }', 4],
  ['ib-irm', 'params: { steps: 30, hidden: [8], penalty_anneal_iters: 5, lr: 0.01 }\ngrid: { ib_lambda: [0.1, 1], penalty_weight: [1, 10] }', 4],
  ['steer', 'params: { steps: 30, hidden: [8], strength: 0.5 }\ngrid: { lr: [0.01, 0.05], l2: [0, 0.01] }', 4],
  ['reprogram', 'params: { steps: 30, hidden: [8], trigger_steps: 10 }\ngrid: { lambda: [0.5, 2], lr: [0.01, 0.05] }', 4],
  // Another method's runPack through the same runtime: a prefix group's edited models evaluated at once.
  ['task-arithmetic', 'dataset: { name: toxicity, n: 400, groups: 2, biased_groups: [0] }\nparams: { base_steps: 20, finetune_steps: 10, hidden: [8] }\ngrid: { coefficients: { product: [[-1, 0.5], [0, 1]] } }', 4],
];

for (const [method, body, packed] of CASES) {
  test.serial(`${method}: pack 4 and pack off give every trial the same metrics within ${TOL}`, async (t) => {
    const before = await packedTrials(method);
    const alone = await run(method, body, 'off');
    t.true(alone.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK), alone.map((r) => r.error).join('; '));
    t.is(await packedTrials(method), before, 'pack: off packs nothing');
    const pack = await run(method, body, '4');
    t.true(pack.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK), pack.map((r) => r.error).join('; '));
    t.is(await packedTrials(method), before + packed, `${packed} trials trained in packs`);
    t.is(pack.length, alone.length);
    const byKey = new Map(alone.map((r) => [trialKey(r), r]));
    let worst = 0;
    for (const r of pack) {
      const a = byKey.get(trialKey(r));
      if (!a) return t.fail(`no unpacked trial with ${trialKey(r)}`);
      t.is(r.status, TrialStatus.TRIAL_STATUS_OK, r.error);
      t.is(a.status, TrialStatus.TRIAL_STATUS_OK, a.error);
      t.deepEqual(Object.keys(r.metrics).sort(), Object.keys(a.metrics).sort());
      for (const [name, v] of Object.entries(r.metrics)) {
        const d = Math.abs(v - (a.metrics[name] ?? NaN));
        worst = Math.max(worst, d);
        t.true(d <= TOL, `${trialKey(r)} ${name}: packed ${v}, alone ${a.metrics[name]}`);
      }
    }
    t.log(`${method}: ${pack.length} trials, largest metric difference ${worst.toExponential(2)}`);
  });
}

test.serial('a trial that diverges in a pack is recorded failed, not retried; its pack-mates are recorded ok', async (t) => {
  const before = await packedTrials('irm');
  // A penalty weight past float32's range makes the loss infinite from the first step.
  const results = await run('irm', 'params: { steps: 30, hidden: [8], penalty_anneal_iters: 0 }\ngrid: { penalty_weight: [1, 10, 1e39] }', '4');
  t.is(await packedTrials('irm'), before + 3, 'the three trials trained as one pack');
  t.is(results.length, 3);
  const bad = results.filter((r) => r.status === TrialStatus.TRIAL_STATUS_FAILED);
  t.is(bad.length, 1);
  t.deepEqual(fromParamMap(bad[0]?.params ?? {}).penalty_weight, 1e39);
  t.regex(bad[0]?.error ?? '', /^loss diverged at step \d+ \(loss=(NaN|Infinity)\); lower lr or penalty_weight$/);
  t.is(bad[0]?.attempts, 1);
  t.true(results.filter((r) => r !== bad[0]).every((r) => r.status === TrialStatus.TRIAL_STATUS_OK && Number.isFinite(r.metrics['test/accuracy'])));
});

test.serial('cancel stops a training pack within seconds; nothing is recorded', async (t) => {
  const c = server.coordinator;
  const { sweepId } = await c.submit(`name: ${uniqueName('cancel-pack')}\nmethod: irm\ndataset: { name: spurious, n: 400 }\nparams: { steps: 1000000, hidden: [16] }\ngrid: { penalty_weight: [1, 10, 100, 1000] }\npack: 4\nobjectives: [{ metric: test/accuracy, goal: max }]\n`);
  const agg = c.sweep(sweepId);
  await eventually(() => agg.running.size === 4, 60_000, 'the four trials of the pack running');
  const cancelledAt = Date.now();
  await c.cancel(sweepId);
  await eventually(() => c.listWorkers().length > 0 && c.listWorkers().every((w) => w.busy === 0), 15_000, 'the worker to become idle');
  t.true(Date.now() - cancelledAt < 10_000);
  t.is(agg.results.size, 0);
  t.is(worker.proc.exitCode, null, 'the worker is still running');
});

test.serial('a worker killed with SIGKILL mid-pack: the shard is redelivered, the pack trains again elsewhere, every trial recorded once', async (t) => {
  const c = server.coordinator;
  const { sweepId } = await c.submit(`name: ${uniqueName('kill-pack')}\nmethod: irm\ndataset: { name: spurious, n: 200 }\nparams: { steps: 600, hidden: [8] }\ngrid: { penalty_weight: [1, 10, 100, 1000] }\npack: 4\nmax_attempts: 3\nobjectives: [{ metric: test/accuracy, goal: max }]\n`);
  const agg = c.sweep(sweepId);
  await eventually(() => agg.running.size === 4, 60_000, 'the pack running');
  await worker.kill('SIGKILL');
  worker = await wasmWorker();
  await eventually(() => agg.finished, 120_000, 'the sweep to finish on the second worker');
  const results = c.results(sweepId);
  t.is(results.length, 4);
  t.is(new Set(results.map((r) => r.trialId)).size, 4);
  t.true(results.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK && r.attempts === 2), results.map((r) => `${r.status} ${r.attempts} ${r.error}`).join('; '));
  t.is(await packedTrials('irm'), 4, 'the new worker trained the four as one pack');
});
