import test from 'ava';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { SHARDS_STREAM, SweepState, TrialStatus, shardSubject } from '../proto/index.js';
import { eventually, uniqueName } from './helpers/cluster.js';
import { sweepFixture } from './helpers/sweep-fixture.js';
import { storedResultCount } from './helpers/streams.js';

/** Workers started by one test stay for the next: later tests start only what is missing. */
const fixture = sweepFixture(test, { coordinator: { ackWaitMs: 2_000, reconcileIntervalMs: 1_000 } });

const storedResults = (sweepId: string): Promise<number> => storedResultCount(fixture.nats.url, sweepId);

test.serial('a sweep over two worker processes records every trial exactly once', async (t) => {
  await fixture.worker('--slots', '2');
  await fixture.worker('--slots', '2');
  const c = fixture.server.coordinator;
  const { sweepId, totalTrials } = await c.submit(`
name: ${uniqueName('e2e')}
method: sleep
params: { duration_ms: 20 }
grid: { x: [1, 2, 3, 4, 5], y: [a, b, c, d] }
seeds: [0, 1]
shard_size: 3
objectives: [{ metric: score, goal: max }, { metric: cost, goal: min }]
`);
  t.is(totalTrials, 40);
  const agg = c.sweep(sweepId);
  await eventually(() => agg.finished, 60_000, 'sweep to finish');
  t.is(agg.record.state, SweepState.SWEEP_STATE_COMPLETED);
  const results = c.results(sweepId);
  t.is(results.length, 40);
  t.is(new Set(results.map((r) => r.trialId)).size, 40);
  t.true(results.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK));
  t.is(new Set(results.map((r) => r.workerId)).size, 2, 'both workers ran trials');
  t.is(await storedResults(sweepId), 40);
  const frontier = c.frontier(sweepId);
  t.true(frontier.rows.length > 0);
  t.truthy(frontier.hypervolume);
  // x_sum is computed from params: results really belong to their trials.
  t.true(results.every((r) => r.metrics.x_sum === (r.params.x?.kind?.$case === 'number' ? r.params.x.kind.value : NaN)));
});

test.serial('a worker killed with SIGKILL mid-shard loses nothing and duplicates nothing', async (t) => {
  while (fixture.procs.length < 2) await fixture.worker('--slots', '2');
  const c = fixture.server.coordinator;
  const { sweepId } = await c.submit(`
name: ${uniqueName('kill')}
method: sleep
params: { duration_ms: 150 }
grid: { x: { linspace: [0, 1, 30] } }
shard_size: 3
max_attempts: 5
objectives: [{ metric: score, goal: max }]
`);
  const agg = c.sweep(sweepId);
  await eventually(() => agg.done >= 5 && agg.running.size > 0, 30_000, 'some progress');
  const victim = fixture.procs.shift()!;
  await victim.kill('SIGKILL');
  await fixture.worker('--slots', '2');
  await eventually(() => agg.finished, 90_000, 'sweep to finish after the kill');
  const results = c.results(sweepId);
  t.is(results.length, 30);
  t.is(new Set(results.map((r) => r.trialId)).size, 30);
  t.true(results.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK), results.filter((r) => r.error).map((r) => r.error).join('; '));
  t.true(results.some((r) => r.attempts > 1), 'the killed worker\'s shard was redelivered');
  t.is(await storedResults(sweepId), 30);
});

test.serial('cancel stops running trials within seconds and removes queued shards', async (t) => {
  while (fixture.procs.length < 2) await fixture.worker('--slots', '2');
  const c = fixture.server.coordinator;
  const { sweepId } = await c.submit(`
name: ${uniqueName('cancel')}
method: sleep
params: { duration_ms: 120000 }
grid: { x: { linspace: [0, 1, 20] } }
objectives: [{ metric: score, goal: max }]
`);
  const agg = c.sweep(sweepId);
  await eventually(() => agg.running.size === 4, 30_000, 'four trials running');
  await eventually(() => c.listWorkers().reduce((s, w) => s + w.busy, 0) === 4, 10_000, 'workers report busy');
  const cancelledAt = Date.now();
  await c.cancel(sweepId);
  t.is(agg.record.state, SweepState.SWEEP_STATE_CANCELLED);
  await eventually(() => c.listWorkers().length >= 2 && c.listWorkers().every((w) => w.busy === 0), 10_000, 'workers to become idle');
  t.true(Date.now() - cancelledAt < 8_000, 'trials stopped within a few seconds');
  const nc = await connect({ servers: fixture.nats.url });
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(SHARDS_STREAM, { subjects_filter: shardSubject(sweepId) });
  t.is(info.state.subjects?.[shardSubject(sweepId)] ?? 0, 0, 'no shard of the sweep is left queued');
  await nc.close();
  t.is(agg.results.size, 0, 'no cancelled trial was recorded as a result');
});

test.serial('a sweep cancelled while its shards are still being published leaves none of them queued', async (t) => {
  const c = fixture.server.coordinator;
  const name = uniqueName('cancel-dispatch');
  const submitting = c.submit(`
name: ${name}
method: sleep
params: { duration_ms: 120000 }
grid: { x: { linspace: [0, 1, 20000] } }
shard_size: 1
objectives: [{ metric: score, goal: max }]
`);
  const record = await eventually(() => c.listSweeps().find((r) => r.spec?.name === name), 30_000, 'the sweep stored');
  await c.cancel(record.id);
  t.false(c.sweep(record.id).record.dispatched, 'the cancel landed while the shards were being published');
  await submitting;
  t.is(c.sweep(record.id).phase, 'cancelled');
  const nc = await connect({ servers: fixture.nats.url });
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(SHARDS_STREAM, { subjects_filter: shardSubject(record.id) });
  await nc.close();
  t.is(info.state.subjects?.[shardSubject(record.id)] ?? 0, 0, 'no shard published after the cancel is left queued');
});
