import test from 'ava';
import { SweepState } from '../proto/index.js';
import { eventually, uniqueName } from './helpers/cluster.js';
import { sweepFixture } from './helpers/sweep-fixture.js';

const fixture = sweepFixture(test);

test('cancel reaches the training loop: IRM trials of a million steps stop within seconds and the worker stays up', async (t) => {
  const worker = await fixture.worker('--slots', '2');
  const c = fixture.server.coordinator;
  const { sweepId } = await c.submit(`
name: ${uniqueName('cancel-train')}
method: irm
dataset: { name: spurious, n: 2000 }
params: { steps: 1000000, hidden: [32] }
grid: { penalty_weight: [1, 10, 100, 1000] }
# One trial per shard, so that both slots train at once (pack: auto would put the four in one shard).
pack: off
objectives: [{ metric: test/accuracy, goal: max }]
`);
  const agg = c.sweep(sweepId);
  await eventually(() => agg.running.size === 2, 60_000, 'two training trials running');
  await eventually(() => c.listWorkers().reduce((s, w) => s + w.busy, 0) === 2, 10_000, 'the worker reports two busy slots');
  // Cancel inside the training loop: the worker loads its tfjs backend (it started with none) when
  // a trial first needs it, and each trial enters its step loop as soon as the load resolves, before
  // the next heartbeat can report the backend.
  await eventually(() => c.listWorkers().some((w) => w.backend !== 'none' && w.busy === 2), 60_000, 'the worker to report its backend loaded');
  const cancelledAt = Date.now();
  await c.cancel(sweepId);
  t.is(agg.record.state, SweepState.SWEEP_STATE_CANCELLED);
  await eventually(() => c.listWorkers().some((w) => w.busy === 0 && c.listWorkers().every((x) => x.busy === 0)), 15_000, 'the worker to become idle');
  const stoppedMs = Date.now() - cancelledAt;
  t.true(stoppedMs < 10_000, `training stopped ${stoppedMs} ms after cancel`);
  t.log(`training stopped ${stoppedMs} ms after cancel`);
  t.is(agg.results.size, 0, 'no cancelled trial was recorded as a result');
  t.is(worker.proc.exitCode, null, 'the worker process is still running');
});
