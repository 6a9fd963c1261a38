import test from 'ava';
import { Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import { CoordinatorServer } from '../coordinator/index.js';
import { SweepSearch } from '../coordinator/search/index.js';
import { parseSpecText } from '../coordinator/spec/index.js';
import { SweepServiceClient, SweepState, TrialStatus, fromParamMap, type GetResponse, type TrialResult } from '../proto/index.js';
import { spawnCli, eventually, uniqueName, type CliProcess } from './helpers/cluster.js';
import { sweepFixture } from './helpers/sweep-fixture.js';

/** No shared coordinator: each test starts its own (in process, or as processes killed mid-search). */
const fixture = sweepFixture(test, { coordinator: null });

/**
 * The trial ids the search must have run: the same spec's search replayed offline, told the results
 * in index order, asked until its budget is spent. Equal to the recorded ids only if every batch was
 * proposed from the same results as in the cluster, once.
 */
function replayedIds(sweepId: string, yaml: string, results: readonly TrialResult[]): string[] {
  const search = SweepSearch.of(sweepId, parseSpecText(yaml));
  if (!search) throw new Error('not an adaptive spec');
  const byIndex = new Map(results.map((r) => [r.index, r]));
  const ids: string[] = [];
  const queue = search.ask();
  while (queue.length > 0) {
    const shard = queue.shift();
    for (const trial of shard?.trials ?? []) {
      ids.push(trial.id);
      const r = byIndex.get(trial.index);
      if (r) queue.push(...search.tell(r));
    }
  }
  return ids;
}

test.serial('an adaptive nsga2 search on zdt1 runs its budget once, proposals within bounds, as an offline replay proposes them', async (t) => {
  const server = await CoordinatorServer.start({ nats: { servers: fixture.nats.url }, grpc: '127.0.0.1:0', metrics: null, reconcileIntervalMs: 1_000 });
  try {
    const worker = await fixture.worker('--slots', '3');
    const yaml = `
name: ${uniqueName('zdt-nsga2')}
method: zdt
params: { problem: zdt1 }
search:
  algorithm: nsga2
  budget: 36
  batch: 6
  seed: 4
  space: { x0: { uniform: [0, 1] }, x1: { uniform: [0, 1] }, x2: { uniform: [0, 1] } }
seeds: [0, 1]
objectives: [{ metric: f1, goal: min }, { metric: f2, goal: min }]
`;
    const c = server.coordinator;
    const { sweepId, totalTrials, totalShards } = await c.submit(yaml);
    t.is(totalTrials, 72, 'budget × seeds');
    t.is(totalShards, 36, 'one shard per proposal');
    const agg = c.sweep(sweepId);
    await eventually(() => agg.finished, 60_000, 'the adaptive sweep to finish');
    const results = c.results(sweepId);
    t.is(agg.record.state, SweepState.SWEEP_STATE_COMPLETED);
    t.is(results.length, 72);
    t.deepEqual(results.map((r) => r.index), [...Array(72).keys()]);
    t.true(results.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK));
    for (const r of results) {
      const p = fromParamMap(r.params);
      for (const k of ['x0', 'x1', 'x2']) t.true(typeof p[k] === 'number' && (p[k] as number) >= 0 && (p[k] as number) <= 1, `${k} = ${String(p[k])}`);
      t.is(p.problem, 'zdt1');
    }
    t.deepEqual(results.map((r) => r.trialId), replayedIds(sweepId, yaml, results));
    await worker.kill('SIGTERM');
  } finally {
    await server.close();
  }
});

function get(client: SweepServiceClient, sweepId: string): Promise<GetResponse> {
  return new Promise((resolve, reject) => client.get({ sweepId }, new Metadata(), { deadline: Date.now() + 5_000 }, (e: ServiceError | null, r: GetResponse) => (e ? reject(e) : resolve(r))));
}

function results(client: SweepServiceClient, sweepId: string): Promise<TrialResult[]> {
  return new Promise((resolve, reject) => {
    const out: TrialResult[] = [];
    const s = client.results({ sweepId });
    s.on('data', (r: { result?: TrialResult }) => r.result && out.push(r.result));
    s.on('error', reject);
    s.on('end', () => resolve(out));
  });
}

async function startCoordinator(grpc = '127.0.0.1:0'): Promise<{ proc: CliProcess; client: SweepServiceClient; address: string }> {
  const proc = spawnCli(['coordinator', '--nats', fixture.nats.url, '--grpc', grpc, '--metrics', 'none', '--ack-wait', '3000']);
  fixture.procs.push(proc);
  const m = await proc.waitFor(/grpc=(\S+)/);
  return { proc, client: new SweepServiceClient(m[1]!, credentials.createInsecure()), address: m[1]! };
}

test.serial('the coordinator killed mid-search and restarted rebuilds the search from the results and finishes it without losing or repeating a trial', async (t) => {
  let { proc, client, address } = await startCoordinator();
  const budget = 40;
  const yaml = `
name: ${uniqueName('search-restart')}
method: sleep
params: { duration_ms: 500 }
search:
  algorithm: motpe
  budget: ${budget}
  batch: 4
  seed: 9
  space: { x: { uniform: [0, 1] }, y: { log_uniform: [0.001, 1] }, k: { choice: [a, b, c] } }
objectives: [{ metric: score, goal: max }, { metric: cost, goal: min }]
`;
  const sweepId = await new Promise<string>((resolve, reject) => client.submit({ specYaml: yaml }, (e, r) => (e ? reject(e) : resolve(r.sweepId))));
  await fixture.worker('--slots', '2');
  await fixture.worker('--slots', '2');
  await eventually(async () => ((await get(client, sweepId)).progress?.ok ?? 0) >= 12, 30_000, 'progress before the kill');
  const before = (await get(client, sweepId)).progress?.ok ?? 0;
  t.true(before < budget - 8, `the kill must land mid-search (ok=${before})`);
  client.close();
  await proc.kill('SIGKILL');
  // Without a coordinator no new batch is proposed: the workers finish what is queued, then idle.
  ({ proc, client } = await startCoordinator(address));
  const done = await eventually(async () => {
    const g = await get(client, sweepId);
    return g.progress?.state === SweepState.SWEEP_STATE_COMPLETED ? g : undefined;
  }, 60_000, 'the search to complete after the restart').catch(async (err: unknown) => {
    t.log(proc.output.slice(-3000), JSON.stringify((await get(client, sweepId)).progress));
    throw err;
  });
  t.is(done.progress?.ok, budget);
  const all = await results(client, sweepId);
  t.is(all.length, budget);
  t.is(new Set(all.map((r) => r.trialId)).size, budget, 'no trial twice');
  const sorted = [...all].sort((a, b) => a.index - b.index);
  t.deepEqual(sorted.map((r) => r.index), [...Array(budget).keys()], 'no proposal lost');
  t.deepEqual(sorted.map((r) => r.trialId), replayedIds(sweepId, yaml, sorted), 'the proposals an uninterrupted search makes from these results');
  client.close();
});
