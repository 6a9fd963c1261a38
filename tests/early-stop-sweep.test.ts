import test from 'ava';
import { connect } from '@nats-io/transport-node';
import { SweepState, TrialStatus, stopTrialSubject, type TrialResult } from '../proto/index.js';
import { eventually, uniqueName } from './helpers/cluster.js';
import { sweepFixture } from './helpers/sweep-fixture.js';
import { repoPath } from './helpers/repo-files.js';
import { storedResultCount } from './helpers/streams.js';

const fixture = sweepFixture(test, { coordinator: { ackWaitMs: 3_000, reconcileIntervalMs: 1_000 }, killBeforeEach: true });

/**
 * Nine ERM trials in one shard (one slot runs them in grid order, so reports reach ASHA in that
 * order), good and hopeless learning rates interleaved; long enough (3,000 steps) that a trial
 * stopped at rung 0 (step 10) or 1 (step 30) is far from its end. Rungs past 30 are not used.
 */
const spec = (): string => `
name: ${uniqueName('asha')}
method: erm
dataset: { name: spurious, n: 800 }
params: { steps: 3000, hidden: [16] }
grid: { lr: [0.03, 0.000001, 0.01, 0.000002, 0.02, 0.000003, 0.005, 0.000004, 0.04] }
shard_size: 9
objectives: [{ metric: val/accuracy, goal: max }, { metric: val/equalized_odds_difference, goal: min }]
early_stop: { algorithm: asha, metric: val/accuracy, min_steps: 10, reduction_factor: 3, max_rungs: 2 }
`;

const pruned = (rs: readonly TrialResult[]): TrialResult[] => rs.filter((r) => r.status === TrialStatus.TRIAL_STATUS_PRUNED);

function checkExactlyOnce(t: import('ava').ExecutionContext, results: readonly TrialResult[], stored: number): void {
  t.is(results.length, 9);
  t.is(new Set(results.map((r) => r.trialId)).size, 9);
  t.is(stored, 9, 'JetStream holds one result per trial');
  for (const r of pruned(results)) {
    t.true(r.step === 10 || r.step === 30, `pruned at a rung step, got ${r.step}`);
    t.is(typeof r.metrics['val/accuracy'], 'number', 'a pruned result carries its last metrics');
  }
  t.true(results.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK || r.status === TrialStatus.TRIAL_STATUS_PRUNED), results.map((r) => r.error).join('; '));
}

test.serial('a sweep with early_stop records the trials ASHA stops as pruned, with their step, once each; the slot goes on at once', async (t) => {
  const c = fixture.server.coordinator;
  await fixture.worker('--slots', '1');
  const { sweepId } = await c.submit(spec());
  const agg = c.sweep(sweepId);
  await eventually(() => agg.finished, 120_000, 'sweep to finish');
  const results = c.results(sweepId);
  checkExactlyOnce(t, results, await storedResultCount(fixture.nats.url, sweepId));
  const stopped = pruned(results);
  t.true(stopped.length >= 2, `some trials were pruned (${stopped.length})`);
  t.true(results.some((r) => r.status === TrialStatus.TRIAL_STATUS_OK), 'the best trials ran to their end');
  t.is(agg.record.state, SweepState.SWEEP_STATE_COMPLETED);
  const p = agg.progress();
  t.is(p.pruned, stopped.length);
  t.is(p.ok + p.failed + (p.pruned ?? 0), 9);
  t.is(p.failed, 0);
  // Not on the frontier: only full-budget trials are.
  const ids = new Set(stopped.map((r) => r.trialId));
  t.false(c.frontier(sweepId).rows.some((row) => ids.has(row.trialId)));
  const counted = (await c.metrics.trialsPruned.get()).values.reduce((s, v) => s + v.value, 0);
  t.true(counted >= stopped.length);
  // The slot went on at once: the next trial of the shard started long before the pruned one would
  // have finished (a full trial's duration, from the ok ones).
  const byIndex = new Map(results.map((r) => [r.index, r]));
  const full = results.filter((r) => r.status === TrialStatus.TRIAL_STATUS_OK).map((r) => r.finishedAtMs - r.startedAtMs);
  const fullMs = Math.min(...full);
  for (const r of stopped) {
    const next = byIndex.get(r.index + 1);
    if (!next) continue;
    const gap = next.startedAtMs - r.finishedAtMs;
    t.true(gap < fullMs / 2, `trial ${r.index + 1} started ${gap} ms after trial ${r.index} was pruned; a full trial takes ${fullMs} ms`);
  }
});

test.serial('a worker SIGKILLed mid-rung: another worker finishes, every trial is recorded once, pruned ones as pruned', async (t) => {
  const c = fixture.server.coordinator;
  const first = await fixture.worker('--slots', '1');
  const { sweepId } = await c.submit(spec());
  const agg = c.sweep(sweepId);
  // Killed while a trial runs after at least one was stopped: between rung reports.
  await eventually(() => (agg.progress().pruned ?? 0) >= 1 && agg.running.size > 0, 120_000, 'a pruned trial, and another running');
  const prunedBefore = pruned(c.results(sweepId)).map((r) => r.trialId);
  await first.kill('SIGKILL');
  await fixture.worker('--slots', '1');
  await eventually(() => agg.finished, 120_000, 'sweep to finish on the second worker');
  const results = c.results(sweepId);
  checkExactlyOnce(t, results, await storedResultCount(fixture.nats.url, sweepId));
  for (const id of prunedBefore) t.is(results.find((r) => r.trialId === id)?.status, TrialStatus.TRIAL_STATUS_PRUNED, 'recorded pruned, not run again');
  t.true(results.some((r) => r.attempts > 1 || r.workerId !== results[0]?.workerId), 'the shard was delivered again after the kill');
});

test.serial('command trials are stopped through their progress lines: the program is ended and recorded pruned', async (t) => {
  const c = fixture.server.coordinator;
  await fixture.worker('--slots', '1', '--allow-command');
  const program = JSON.stringify([process.execPath, repoPath('tests', 'helpers', 'command-program.mjs')]);
  // One shard, one slot: quality 5 first, then worse ones, each stopped at rung 0 (step >= 5).
  const { sweepId } = await c.submit(`
name: ${uniqueName('asha-cmd')}
method: command
params: { command: ${program}, behaviour: progress, steps: 200, step_ms: 20 }
grid: { quality: [5, 1, 4, 0, 3] }
shard_size: 5
objectives: [{ metric: test/accuracy, goal: max }]
early_stop: { algorithm: asha, metric: val/score, goal: max, min_steps: 5 }
`);
  const agg = c.sweep(sweepId);
  await eventually(() => agg.finished, 120_000, 'sweep to finish');
  const results = c.results(sweepId);
  t.is(results.length, 5);
  t.is(await storedResultCount(fixture.nats.url, sweepId), 5);
  t.deepEqual(results.map((r) => r.status), [TrialStatus.TRIAL_STATUS_OK, ...Array<TrialStatus>(4).fill(TrialStatus.TRIAL_STATUS_PRUNED)], results.map((r) => r.error).join('; '));
  for (const r of pruned(results)) {
    t.true((r.step ?? 0) >= 5 && (r.step ?? 0) < 200, `stopped early, at step ${r.step}`);
    t.is(typeof r.metrics['val/score'], 'number');
  }
  // Each program was ended when its trial was stopped: the four pruned trials one after another took
  // less than two full ones (run to their end, they would take four).
  const ok = results[0];
  const full = ok ? ok.finishedAtMs - ok.startedAtMs : 0;
  const last = results[4];
  t.true(last !== undefined && ok !== undefined && last.finishedAtMs - ok.finishedAtMs < 2 * full, 'the pruned trials did not run their 200 steps');
});

test.serial('a forged stop message (no pruned result recorded) does not stop a running trial', async (t) => {
  const c = fixture.server.coordinator;
  const w = await fixture.worker('--slots', '1');
  const { sweepId } = await c.submit(`name: ${uniqueName('forged-stop')}\nmethod: sleep\nparams: { duration_ms: 1500 }\ngrid: { x: [1] }\nobjectives: [{ metric: score, goal: max }]\n`);
  const agg = c.sweep(sweepId);
  const running = await eventually(() => [...agg.running.keys()][0], 30_000, 'the trial running');
  const nc = await connect({ servers: fixture.nats.url });
  nc.publish(stopTrialSubject(sweepId), new TextEncoder().encode(running));
  await nc.flush();
  await w.waitFor(/stop message for a trial whose result is not recorded; ignored/, 10_000);
  await nc.close();
  await eventually(() => agg.finished, 30_000, 'sweep to finish');
  t.is(c.results(sweepId)[0]?.status, TrialStatus.TRIAL_STATUS_OK);
});
