import test from 'ava';
import { Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { Goal, SweepServiceClient, SweepState, TrialStatus, fromParamMap, type FrontierRequest, type FrontierResponse } from '../proto/index.js';
import { configurationFrontier, fromConfigurationFrontierMessage, toConfigurationFrontierMessage, trialLikeOf, type TrialLike } from '../coordinator/configurations/index.js';
import { buildReportData } from '../coordinator/report/index.js';
import { sweepProtocol } from '../coordinator/sweeps/sweep-protocol.js';
import { eventually, uniqueName } from './helpers/cluster.js';
import { sweepFixture } from './helpers/sweep-fixture.js';

let client: SweepServiceClient;

const fixture = sweepFixture(test, {
  setup: async (f) => {
    client = new SweepServiceClient(`127.0.0.1:${f.server.grpcPort}`, credentials.createInsecure());
    await f.worker('--slots', '2');
  },
  teardown: async () => client?.close(),
});

const frontier = (req: Partial<FrontierRequest> & { sweepId: string }): Promise<FrontierResponse> =>
  new Promise((resolve, reject) =>
    client.frontier({ objectives: [], reference: [], perTrial: false, ...req }, new Metadata(), { deadline: Date.now() + 10_000 }, (e, r) => (e ? reject(e) : resolve(r))),
  );

async function finished(sweepId: string): Promise<SweepState> {
  const sweep = fixture.server.coordinator.sweep(sweepId);
  await eventually(() => sweep.finished, 120_000, `sweep ${sweepId} to end`);
  return sweep.record.state;
}

test.serial('a leave-one-domain-out sweep: trials report lodo/ metrics and the Frontier RPC ranks configurations on them, test beside', async (t) => {
  const c = fixture.server.coordinator;
  const { sweepId } = await c.submit(`
name: ${uniqueName('lodo')}
method: erm
dataset: { name: spurious, n: 240, d: 2, env_p_maj: [0.95, 0.85, 0.7] }
params: { steps: 30, hidden: [4] }
grid: { lr: [0.01, 0.1], l2: [0, 0.05] }
seeds: [0, 1]
selection: leave-one-domain-out
objectives: [{ metric: test/accuracy, goal: max }, { metric: test/demographic_parity_difference, goal: min }]
`);
  t.is(await finished(sweepId), SweepState.SWEEP_STATE_COMPLETED);
  const results = c.results(sweepId);
  t.is(results.length, 8);
  for (const r of results) {
    t.is(r.status, TrialStatus.TRIAL_STATUS_OK, r.error);
    for (const k of ['lodo/accuracy', 'lodo/demographic_parity_difference', 'lodo/env0/accuracy', 'lodo/env1/accuracy', 'lodo/env2/accuracy', 'test/accuracy']) t.true(Number.isFinite(r.metrics[k]), `${r.trialId} reports ${k}`);
    const folds = [0, 1, 2].map((e) => r.metrics[`lodo/env${e}/accuracy`] ?? Number.NaN);
    t.true(Math.abs((r.metrics['lodo/accuracy'] ?? Number.NaN) - (folds[0]! + folds[1]! + folds[2]!) / 3) < 1e-9, 'lodo/accuracy is the mean over held-out environments');
  }

  const res = await frontier({ sweepId });
  t.is(res.frontier, undefined, 'configurations by default, no trial frontier');
  const conf = res.configurations;
  if (!conf) return t.fail('no configurations');
  t.is(conf.sweepId, sweepId);
  t.is(conf.selection, 'leave-one-domain-out');
  t.deepEqual(conf.objectives.map((o) => [o.metric, o.selectionMetric, o.aggregate]), [
    ['test/accuracy', 'lodo/accuracy', 'mean'],
    ['test/demographic_parity_difference', 'lodo/demographic_parity_difference', 'mean'],
  ]);
  t.is(conf.configurations, 4);
  t.is(conf.interval, 't');
  t.is(conf.confidence, 0.95);
  t.true(conf.rows.length >= 1);
  for (const row of conf.rows) {
    t.deepEqual(row.seeds, [0, 1]);
    t.deepEqual(row.failedSeeds, []);
    // Ranked on the lodo/ means; the test metrics of the chosen configuration reported beside, with n, std and CI.
    t.deepEqual(row.values, [row.stats['lodo/accuracy']?.mean, row.stats['lodo/demographic_parity_difference']?.mean]);
    const test = row.stats['test/accuracy'];
    t.is(test?.n, 2);
    t.true(test?.std !== undefined && test.ciLow !== undefined && test.ciHigh !== undefined && test.ciLow <= test.mean && test.mean <= test.ciHigh);
  }
  // The same frontier the CLI computes from the results file with --selection leave-one-domain-out.
  const local = configurationFrontier(results.map(trialLikeOf), [{ metric: 'test/accuracy', goal: 'max' }, { metric: 'test/demographic_parity_difference', goal: 'min' }], { selection: 'leave-one-domain-out' });
  t.deepEqual(fromConfigurationFrontierMessage(conf), { sweep_id: sweepId, ...local });
  // Chosen on lodo/, not on test/: the oracle's frontier is computed from test/ values.
  const oracle = configurationFrontier(results.map(trialLikeOf), local.objectives, { selection: 'oracle' });
  t.notDeepEqual(local.frontier.map((r) => r.values), oracle.frontier.map((r) => r.values));

  // The report opens on the lodo/ metrics, states the protocol and draws the same configuration frontier.
  const report = buildReportData({
    sweepId, specYaml: c.sweep(sweepId).record.specYaml, trials: results.map((r) => ({ ...trialLikeOf(r), metrics: { ...r.metrics }, group_metrics: [] })),
    frontier: { objectives: local.objectives.map((o) => ({ metric: o.metric, goal: o.goal })), frontier: [], hypervolume: null, reference: null },
    objectives: local.objectives, selection: 'leave-one-domain-out',
  });
  t.deepEqual(report.axes.slice(0, 2).map((a) => a.metric), ['lodo/accuracy', 'lodo/demographic_parity_difference']);
  t.is(report.protocol, 'selection: leave-one-domain-out (ranked on lodo/ metrics, test reported beside)');
  t.deepEqual([...report.configuration_frontier_ids].sort(), conf.rows.map((r) => r.configurationId).sort());

  // Trials on request.
  const perTrial = await frontier({ sweepId, perTrial: true });
  t.is(perTrial.configurations, undefined);
  t.true((perTrial.frontier?.rows.length ?? 0) >= 1);
  t.true(perTrial.frontier?.rows.every((r) => r.trialId.length > 0));

  // Objectives asked for, with an aggregate: the worst seed of each configuration.
  const worst = await frontier({ sweepId, objectives: [{ metric: 'test/accuracy', goal: Goal.GOAL_MAX, aggregate: 'worst' }] });
  const best = worst.configurations?.rows[0];
  t.is(worst.configurations?.objectives[0]?.selectionMetric, 'lodo/accuracy');
  t.is(best?.values[0], best?.stats['lodo/accuracy']?.min);
  const bad = await t.throwsAsync(frontier({ sweepId, objectives: [{ metric: 'test/accuracy', goal: Goal.GOAL_MAX, aggregate: 'luckiest' }] }));
  t.is((bad as ServiceError).code, status.INVALID_ARGUMENT);
  t.regex((bad as ServiceError).details, /objectives\[0\]\.aggregate: expected one of mean, median, worst, best/);
  const ref = await t.throwsAsync(frontier({ sweepId, reference: [1, 2, 3] }));
  t.is((ref as ServiceError).code, status.INVALID_ARGUMENT);
});

test.serial('the Frontier RPC counts failed seeds and configurations without an ok seed, never averaging them', async (t) => {
  const c = fixture.server.coordinator;
  const { sweepId } = await c.submit(`
name: ${uniqueName('failing')}
method: sleep
params: { duration_ms: 1 }
grid: { fail_rate: [0.3, 1] }
seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
max_attempts: 1
objectives: [{ metric: x_sum, goal: max }]
`);
  await finished(sweepId);
  const results = c.results(sweepId);
  const res = await frontier({ sweepId });
  const conf = res.configurations;
  if (!conf) return t.fail('no configurations');
  t.is(conf.configurations, 2);
  t.is(conf.withoutOkSeed, 1, 'fail_rate 1: no ok seed, not ranked');
  t.is(conf.selection, '');
  // fail_rate 0.3: some of its 10 seeds fail (none with probability 0.7^10), all of them with 0.3^10.
  const row = conf.rows[0];
  if (!row) return t.fail('no row');
  const rate = fromParamMap(row.params).fail_rate;
  const mine = results.filter((r) => fromParamMap(r.params).fail_rate === rate);
  t.deepEqual(row.failedSeeds, mine.filter((r) => r.status !== TrialStatus.TRIAL_STATUS_OK).map((r) => r.seed).sort((a, b) => a - b));
  t.deepEqual(row.seeds, mine.filter((r) => r.status === TrialStatus.TRIAL_STATUS_OK).map((r) => r.seed).sort((a, b) => a - b));
  t.is(row.stats['x_sum']?.n, row.seeds.length, 'the mean is over ok seeds only');
  t.log(`fail_rate ${String(rate)}: ${row.seeds.length} ok, ${row.failedSeeds.length} failed`);
});

test('the configuration frontier survives the wire: failed seeds, a single seed without std or interval, no hypervolume', (t) => {
  const trials: TrialLike[] = [
    { trial_id: 'a0', params: { k: 'a' }, seed: 0, status: 'ok', metrics: { 'trainval/m': 0.5 } },
    { trial_id: 'a1', params: { k: 'a' }, seed: 1, status: 'failed', metrics: {}, error: 'boom' },
    { trial_id: 'b0', params: { k: 'b' }, seed: 0, status: 'ok', metrics: { 'trainval/m': 0.3, 'test/m': 1 } },
    { trial_id: 'b1', params: { k: 'b' }, seed: 1, status: 'ok', metrics: { 'trainval/m': 0.5, 'test/m': 2 } },
  ];
  const doc = configurationFrontier(trials, [{ metric: 'test/m', goal: 'max', aggregate: 'median' }], { selection: 'training-domain' });
  const back = fromConfigurationFrontierMessage(toConfigurationFrontierMessage('s-1', doc));
  t.deepEqual(back, { sweep_id: 's-1', ...doc });
  t.is(back.selection, 'training-domain');
  const a = back.frontier.find((r) => r.params.k === 'a');
  t.deepEqual(a?.failed_seeds, [1]);
  t.is(a?.stats['trainval/m']?.std, null);
  t.is(a?.stats['trainval/m']?.ci, null);
  t.is(a?.stats['test/m'], null, 'a metric no ok seed reports stays null');
  const result = { trialId: 'p', sweepId: 's-1', params: {}, seed: 3, error: '', metrics: { m: 1 }, groupMetrics: [], attempts: 1, workerId: 'w', backend: 'cpu', device: '', startedAtMs: 0, finishedAtMs: 0, index: 0 };
  t.is(trialLikeOf({ ...result, status: TrialStatus.TRIAL_STATUS_PRUNED }).status, 'pruned', 'a pruned trial is not a failed seed');
  t.is(trialLikeOf({ ...result, status: TrialStatus.TRIAL_STATUS_FAILED }).status, 'failed');
});

test('a sweep recorded before SweepSpec carried selection and aggregates is ranked on what its spec text says', (t) => {
  const specYaml = 'name: old\nmethod: irm\ndataset: { name: spurious }\nselection: training-domain\nobjectives: [{ metric: test/accuracy, goal: max, aggregate: worst }]\n';
  const spec = { name: 'old', method: 'irm', dataset: undefined, params: {}, grid: {}, seeds: [0], objectives: [{ metric: 'test/accuracy', goal: Goal.GOAL_MAX, aggregate: '' }], shardSize: 1, maxAttempts: 3, search: undefined, selection: '', pack: 0 };
  t.deepEqual(sweepProtocol({ spec, specYaml }), { objectives: [{ metric: 'test/accuracy', goal: Goal.GOAL_MAX, aggregate: 'worst' }], selection: 'training-domain' });
  // A record that carries them is taken as it is; a text naming neither is not parsed.
  t.deepEqual(sweepProtocol({ spec: { ...spec, selection: 'oracle' }, specYaml }).selection, 'oracle');
  t.deepEqual(sweepProtocol({ spec, specYaml: 'not: a spec' }), { objectives: spec.objectives, selection: '' });
  t.deepEqual(sweepProtocol({ spec: { ...spec }, specYaml: 'selection: [' }), { objectives: spec.objectives, selection: '' }, 'a text that does not parse leaves the message as it is');
});
