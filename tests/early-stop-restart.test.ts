import test from 'ava';
import { TrialStatus } from '../proto/index.js';
import { eventually, uniqueName } from './helpers/cluster.js';
import { sweepFixture } from './helpers/sweep-fixture.js';
import { storedResultCount } from './helpers/streams.js';

const fixture = sweepFixture(test, { coordinator: { ackWaitMs: 3_000, reconcileIntervalMs: 1_000 } });

test('a coordinator stopped mid-sweep and started again goes on stopping trials from the stored rung reports; every trial recorded once', async (t) => {
  const first = fixture.server;
  await fixture.worker('--slots', '1');
  const { sweepId } = await first.coordinator.submit(`
name: ${uniqueName('asha-restart')}
method: erm
dataset: { name: spurious, n: 800 }
params: { steps: 3000, hidden: [16] }
grid: { lr: [0.03, 0.000001, 0.01, 0.000002, 0.02, 0.000003, 0.005, 0.000004, 0.04] }
shard_size: 9
objectives: [{ metric: val/accuracy, goal: max }]
early_stop: { algorithm: asha, min_steps: 10, reduction_factor: 3, max_rungs: 2 }
`);
  const a = first.coordinator.sweep(sweepId);
  await eventually(() => (a.progress().pruned ?? 0) >= 1 && a.running.size > 0, 120_000, 'a pruned trial, and another running');
  const prunedBefore = [...a.results.values()].filter((r) => r.status === TrialStatus.TRIAL_STATUS_PRUNED).map((r) => r.trialId);

  const second = await fixture.restartServer();
  const b = second.coordinator.sweep(sweepId);
  await eventually(() => b.finished, 120_000, 'sweep to finish under the second coordinator');
  const results = second.coordinator.results(sweepId);
  t.is(results.length, 9);
  t.is(new Set(results.map((r) => r.trialId)).size, 9);
  t.is(await storedResultCount(fixture.nats.url, sweepId), 9);
  for (const id of prunedBefore) t.is(results.find((r) => r.trialId === id)?.status, TrialStatus.TRIAL_STATUS_PRUNED);
  const pruned = results.filter((r) => r.status === TrialStatus.TRIAL_STATUS_PRUNED);
  // The hopeless learning rates left after the restart are stopped too: ranked against the values the
  // first coordinator stored (a second one starting afresh would let the first of them go on).
  t.log(`pruned before the restart: ${prunedBefore.length}, in all: ${pruned.length}`);
  // Every hopeless learning rate is stopped, before the restart or after it; on a loaded machine the
  // first coordinator may see all of them before it closes, so how many came after is only logged.
  const tiny = results.filter((r) => (r.params['lr']?.kind?.$case === 'number' ? r.params['lr'].kind.value : 1) < 1e-5);
  t.log(`hopeless trials stopped after the restart: ${tiny.filter((r) => !prunedBefore.includes(r.trialId)).length} of ${tiny.length}`);
  t.is(tiny.length, 4);
  t.true(tiny.every((r) => r.status === TrialStatus.TRIAL_STATUS_PRUNED), tiny.map((r) => TrialStatus[r.status]).join(', '));
  // Stopped at a rung's step (10 or 30) by a coordinator that saw every report; a report sent while
  // neither coordinator listened is not counted, so after the restart that trial's rung is decided
  // at its next report (step 20, 40, ...): any step from the first rung on, before the trial's end.
  t.log(`pruned at steps: ${pruned.map((r) => r.step).join(', ')}`);
  t.true(pruned.filter((r) => prunedBefore.includes(r.trialId)).every((r) => r.step === 10 || r.step === 30));
  t.true(pruned.every((r) => (r.step ?? 0) >= 10 && (r.step ?? 0) < 3000));
  t.true(results.every((r) => r.status !== TrialStatus.TRIAL_STATUS_FAILED));
});
