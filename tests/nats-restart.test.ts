import test from 'ava';
import { SweepState, TrialStatus } from '../proto/index.js';
import { eventually, uniqueName } from './helpers/cluster.js';
import { sweepFixture } from './helpers/sweep-fixture.js';
import { storedResultCount } from './helpers/streams.js';
import { reportFault } from './helpers/reliability.js';

const fixture = sweepFixture(test, {
  coordinator: { ackWaitMs: 2_000, reconcileIntervalMs: 1_000 },
  setup: async (f) => {
    await f.worker('--slots', '2');
    await f.worker('--slots', '2');
  },
});

test('nats-server restarted mid-sweep (same store): every client reconnects and the sweep completes exactly once', async (t) => {
  const c = fixture.server.coordinator;
  const { sweepId } = await c.submit(`
name: ${uniqueName('natsrestart')}
method: sleep
params: { duration_ms: 100 }
grid: { x: { linspace: [0, 1, 60] } }
max_attempts: 10
objectives: [{ metric: score, goal: max }, { metric: cost, goal: min }]
`);
  const agg = c.sweep(sweepId);
  await eventually(() => agg.done >= 10, 30_000, 'progress before the restart');
  await fixture.nats.restart();
  await eventually(() => agg.finished, 120_000, 'the sweep to finish after the restart');
  t.is(agg.record.state, SweepState.SWEEP_STATE_COMPLETED);
  const results = c.results(sweepId);
  t.is(results.length, 60);
  t.true(results.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK), results.map((r) => r.error).filter(Boolean).join('; '));
  t.is(await storedResultCount(fixture.nats.url, sweepId), 60);
  reportFault('nats-server restarted mid-sweep', 60, await storedResultCount(fixture.nats.url, sweepId), new Set(results.map((r) => r.trialId)).size);
});
