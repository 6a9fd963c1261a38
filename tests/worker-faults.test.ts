import test from 'ava';
import { SweepState, TrialStatus } from '../proto/index.js';
import { eventually, uniqueName } from './helpers/cluster.js';
import { sweepFixture } from './helpers/sweep-fixture.js';
import { storedResultCount } from './helpers/streams.js';
import { reportFault } from './helpers/reliability.js';

/** Each test starts with no worker running. */
const fixture = sweepFixture(test, { coordinator: { ackWaitMs: 1_500, reconcileIntervalMs: 1_000 }, killBeforeEach: true });

const spec = (name: string, n: number, ms: number, attempts = 10): string =>
  `name: ${uniqueName(name)}\nmethod: sleep\nparams: { duration_ms: ${ms} }\ngrid: { x: { linspace: [0, 1, ${n}] } }\nmax_attempts: ${attempts}\nobjectives: [{ metric: score, goal: max }, { metric: cost, goal: min }]\n`;

test.serial('workers killed with SIGKILL again and again during one sweep: nothing lost, nothing recorded twice', async (t) => {
  const c = fixture.server.coordinator;
  // Four workers up front, three killed one after another mid-sweep (no worker is started between
  // kills: on a busy machine the sweep could finish while a replacement starts, and a kill would
  // then land after the sweep).
  const live = await Promise.all([0, 1, 2, 3].map(() => fixture.worker('--slots', '2')));
  const { sweepId } = await c.submit(spec('kills', 120, 150));
  const agg = c.sweep(sweepId);
  for (let kill = 0; kill < 3; kill++) {
    await eventually(() => agg.done >= (kill + 1) * 20 && agg.running.size > 0, 60_000, `progress before kill ${kill + 1}`);
    t.false(agg.finished, `kill ${kill + 1} lands mid-sweep`);
    await live.shift()!.kill('SIGKILL');
  }
  await eventually(() => agg.finished, 90_000, 'sweep to finish');
  const results = c.results(sweepId);
  t.is(results.length, 120);
  t.is(new Set(results.map((r) => r.trialId)).size, 120);
  t.true(results.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK));
  t.true(results.some((r) => r.attempts > 1), 'some shard was redelivered after a kill');
  t.is(await storedResultCount(fixture.nats.url, sweepId), 120);
  reportFault('worker SIGKILL mid-trial, 3 times in one sweep', 120, await storedResultCount(fixture.nats.url, sweepId), new Set(results.map((r) => r.trialId)).size);
});

test.serial('a hung worker (SIGSTOP) loses its shard to another after the ack deadline; its late result is not recorded twice', async (t) => {
  const c = fixture.server.coordinator;
  const hung = await fixture.worker('--slots', '1');
  const { sweepId } = await c.submit(spec('hung', 6, 2_500));
  const agg = c.sweep(sweepId);
  await eventually(() => [...agg.running.values()].some((r) => r.workerId.length > 0), 30_000, 'a trial running on the first worker');
  process.kill(hung.pid, 'SIGSTOP');
  const healthy = await fixture.worker('--slots', '3');
  await eventually(() => agg.finished, 60_000, 'sweep to finish without the hung worker');
  const hungTrial = [...agg.results.values()].find((r) => r.attempts > 1);
  t.truthy(hungTrial, 'the hung worker\'s trial was redelivered');
  process.kill(hung.pid, 'SIGCONT');
  // The resumed worker finishes its trial and publishes late: its heartbeat counts one more trial
  // published than the results recorded from it.
  const hungId = hung.output.match(/worker (\S+) running/)?.[1];
  await eventually(() => c.listWorkers().some((w) => w.id === hungId && w.trialsDone > c.results(sweepId).filter((r) => r.workerId === hungId).length), 30_000, 'the resumed worker to publish its late result');
  t.is(c.results(sweepId).length, 6);
  t.is(await storedResultCount(fixture.nats.url, sweepId), 6, 'JetStream refused the late duplicate');
  reportFault('worker hung (SIGSTOP past the ack deadline, then resumed)', 6, await storedResultCount(fixture.nats.url, sweepId), new Set(c.results(sweepId).map((r) => r.trialId)).size);
  t.is(agg.record.state, SweepState.SWEEP_STATE_COMPLETED);
  void healthy;
});

test.serial('graceful drain: SIGTERM lets the running trial finish, the worker exits 0, nothing is lost', async (t) => {
  const c = fixture.server.coordinator;
  const w = await fixture.worker('--slots', '1', '--drain-timeout', '30000');
  const { sweepId } = await c.submit(spec('drain', 3, 1_500));
  const agg = c.sweep(sweepId);
  await eventually(() => agg.running.size > 0, 30_000, 'a trial running');
  w.proc.kill('SIGTERM');
  const exit = await w.exited;
  t.is(exit.code, 0);
  t.true(agg.done >= 1, 'the running trial finished before the worker exited');
  await fixture.worker('--slots', '2');
  await eventually(() => agg.finished, 60_000, 'sweep to finish');
  const results = c.results(sweepId);
  t.is(results.length, 3);
  t.true(results.every((r) => r.status === TrialStatus.TRIAL_STATUS_OK));
  // The trial that was running finished on its first delivery; a prefetched shard is handed back (one more delivery).
  t.true(results.some((r) => r.attempts === 1 && r.workerId === w.output.match(/worker (\S+) running/)?.[1]));
  reportFault('worker SIGTERM (graceful drain)', 3, await storedResultCount(fixture.nats.url, sweepId), new Set(results.map((r) => r.trialId)).size);
});

test.serial('drain with hand-back: a trial longer than the drain timeout is returned to the queue at once and finished elsewhere', async (t) => {
  const c = fixture.server.coordinator;
  const w = await fixture.worker('--slots', '1', '--drain-timeout', '200');
  const { sweepId } = await c.submit(spec('handback', 1, 3_000));
  const agg = c.sweep(sweepId);
  await eventually(() => agg.running.size > 0, 30_000, 'the trial running');
  const t0 = Date.now();
  w.proc.kill('SIGTERM');
  t.is((await w.exited).code, 0);
  t.true(Date.now() - t0 < 2_000, 'the worker did not wait for the trial');
  await fixture.worker('--slots', '1');
  await eventually(() => agg.finished, 60_000, 'sweep to finish');
  const [r] = c.results(sweepId);
  t.is(r?.status, TrialStatus.TRIAL_STATUS_OK);
  t.true((r?.attempts ?? 0) >= 2, 'finished on a later delivery');
});
