import test from 'ava';
import { existsSync } from 'node:fs';
import { CoordinatorServer } from '../coordinator/index.js';
import { NatsServer } from '../common/index.js';
import { SweepState } from '../proto/index.js';
import { startNats, spawnWorker, eventually, uniqueName, type CliProcess } from './helpers/cluster.js';
import { PrometheusServer } from './helpers/prometheus-server.js';
import { expandGrafanaVariables } from './helpers/promql.js';
import { readRepoText, repoPath } from './helpers/repo-files.js';

let nats: NatsServer | undefined;
let coordinator: CoordinatorServer | undefined;
let worker: CliProcess | undefined;
let prometheus: PrometheusServer | undefined;

test.after.always(async () => {
  await worker?.kill('SIGKILL');
  await coordinator?.close();
  await prometheus?.stop();
  await nats?.stop();
});

test.serial('a real Prometheus scrapes the coordinator and a worker through a sleep sweep; dashboard queries and alert rules evaluate on it', async (t) => {
  nats = await startNats();
  coordinator = await CoordinatorServer.start({ nats: { servers: nats.url }, grpc: '127.0.0.1:0', metrics: '127.0.0.1:0', ackWaitMs: 10_000 });
  worker = await spawnWorker(nats.url, ['--slots', '2', '--metrics', '127.0.0.1:0']);
  const workerMetricsPort = (await worker.waitFor(/metrics=(\d+)/))[1];
  prometheus = await PrometheusServer.start({
    jobs: [
      { name: 'fairsweep-coordinator', targets: [`127.0.0.1:${coordinator.metricsPort}`] },
      { name: 'fairsweep-worker', targets: [`127.0.0.1:${workerMetricsPort}`] },
    ],
    ruleFiles: [repoPath('deploy', 'prometheus', 'alerts.yml')],
  });
  const p = prometheus;
  await eventually(async () => (await p.value('sum(up)')) === 2, 60_000, 'both targets up');
  // One series: only the worker exports its own slots; the coordinator's totals have their own name.
  t.is(await p.value('fairsweep_worker_slots'), 2);
  await eventually(async () => (await p.value('fairsweep_workers_connected')) === 1, 60_000, 'the coordinator sees the worker');
  await eventually(async () => (await p.value('fairsweep_cluster_worker_slots{job="fairsweep-coordinator"}')) === 2, 60_000, 'the coordinator counts the worker\'s slots');

  const trials = 16;
  const c = coordinator.coordinator;
  const { sweepId, totalTrials } = await c.submit(`
name: ${uniqueName('prom')}
method: sleep
params: { duration_ms: 400 }
grid: { x: { linspace: [0, 1, ${trials / 2}] } }
seeds: [0, 1]
objectives: [{ metric: score, goal: max }, { metric: cost, goal: min }]
`);
  t.is(totalTrials, trials);
  const agg = c.sweep(sweepId);
  await eventually(() => agg.finished, 120_000, 'sweep to finish').catch((err: unknown) => {
    throw new Error(`${String(err)}; progress ${JSON.stringify(agg.progress())}; worker output: ${worker?.output.slice(-3000) ?? ''}`);
  });
  t.is(agg.record.state, SweepState.SWEEP_STATE_COMPLETED);
  const frontierRows = c.frontier(sweepId).rows.length;

  await eventually(async () => (await p.value('sum(fairsweep_trials_completed_total{method="sleep"})')) === trials, 60_000, `trials completed == ${trials} in Prometheus`);
  await eventually(async () => (await p.value('sum(fairsweep_worker_trials_total{job="fairsweep-worker",outcome="ok"})')) === trials, 60_000, 'worker trials counted');
  await eventually(async () => (await p.value(`fairsweep_frontier_size{sweep="${sweepId}"}`)) === frontierRows, 60_000, 'frontier size');
  await eventually(async () => (await p.value('fairsweep_sweeps{state="completed"}')) === 1, 60_000, 'one completed sweep');
  t.is(await p.value('sum(fairsweep_trial_duration_seconds_count)'), trials);
  t.is(await p.value('sum(fairsweep_trials_failed_total)') ?? 0, 0);
  t.true(((await p.value(`fairsweep_frontier_hypervolume{sweep="${sweepId}"}`)) ?? 0) > 0, 'hypervolume of a 2-objective sweep');
  // 400 ms trials fall in the (0.25, 0.5] bucket.
  const median = (await p.value('histogram_quantile(0.5, sum by (le) (fairsweep_trial_duration_seconds_bucket))')) ?? NaN;
  t.true(median > 0.25 && median <= 0.5, `median trial duration ${median}`);
  // Per-sweep trial gauges are dropped when a sweep ends; Prometheus saw them while it ran.
  t.true(((await p.value(`max(max_over_time(fairsweep_trials{sweep="${sweepId}",state=~"queued|running"}[5m]))`)) ?? 0) > 0, 'trials seen queued or running');
  t.true(((await p.value(`max(max_over_time(fairsweep_worker_busy_slots{job="fairsweep-worker"}[5m]))`)) ?? 0) >= 1, 'the worker was seen busy');

  // Every dashboard query runs on real data; the ones below must return series.
  const dashboard = JSON.parse(await readRepoText('deploy', 'grafana', 'dashboards', 'fairsweep.json')) as { panels: { title: string; targets?: { expr: string; refId: string }[] }[] };
  const empty: string[] = [];
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) {
      const result = await p.query(expandGrafanaVariables(target.expr));
      if (result.length === 0) empty.push(`${panel.title} ${target.refId}`);
    }
  }
  for (const mustHaveData of ['Workers connected A', 'Worker utilisation A', 'Throughput A', 'Trial duration quantiles A', 'Trial duration quantiles D', 'Frontier size per sweep A', 'Frontier hypervolume per sweep A', 'Worker utilisation over time A', 'Worker utilisation over time B', 'Worker trials by outcome A', 'Sweeps by state A']) {
    t.false(empty.includes(mustHaveData), `${mustHaveData} returns data`);
  }
  // JetStream storage is read at each reconcile; this nats-server's account has no limit of its own.
  await eventually(async () => ((await p.value('fairsweep_jetstream_storage_bytes')) ?? 0) > 0, 60_000, 'JetStream storage used exported');
  t.is(await p.value('fairsweep_jetstream_storage_limit_bytes'), 0);
  t.is(await p.value('max(fairsweep_worker_store_backoff_seconds)'), 0, 'the worker never backed off');
  const perWorker = await p.query('fairsweep_worker_busy_slots / on (instance, job) fairsweep_worker_slots');
  t.deepEqual(perWorker.map((s) => s.metric.job), ['fairsweep-worker'], 'per-worker utilisation holds no coordinator series');
  t.true(((await p.value('max_over_time(fairsweep_cluster_worker_busy_slots[5m])')) ?? 0) >= 1, 'the coordinator saw the worker busy');

  // The alert rules evaluate without error on the real series, and none fires on a healthy run.
  const rules = await eventually(async () => {
    const r = await p.rules();
    return r.length === 9 && r.every((x) => !x.lastEvaluation.startsWith('0001')) ? r : undefined;
  }, 60_000, 'rules evaluated');
  t.deepEqual(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError ?? r.health}`), []);
  t.deepEqual(await p.query('ALERTS'), []);

  const dir = p.dir;
  await p.stop();
  t.false(existsSync(dir), 'Prometheus store removed');
});
