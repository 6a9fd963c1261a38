/** SweepLifecycle without NATS: every transition, the completed/failed decision and a rebuild from storage. */
import test from 'ava';
import { SweepLifecycle, SweepStateError } from '../coordinator/index.js';
import { Goal, SweepState, TrialStatus, toParamMap, type Progress, type Shard, type SweepRecord, type SweepSpec, type TrialResult } from '../proto/index.js';

const SWEEP = 'unit-abc123';
const spec: SweepSpec = {
  name: 'unit',
  method: 'sleep',
  dataset: undefined,
  params: {},
  grid: {},
  seeds: [0],
  objectives: [
    { metric: 'score', goal: Goal.GOAL_MAX },
    { metric: 'cost', goal: Goal.GOAL_MIN },
  ],
  shardSize: 2,
  maxAttempts: 3,
  search: undefined,
  pack: 0,
};

const create = (totalTrials = 4, id = SWEEP): SweepLifecycle =>
  SweepLifecycle.create({ id, spec, specYaml: 'name: unit\n', totalTrials, totalShards: Math.ceil(totalTrials / 2), createdAtMs: 1_000 });

const running = (totalTrials = 4): SweepLifecycle => {
  const s = create(totalTrials);
  s.markDispatched();
  return s;
};

function result(i: number, ok: boolean, extra: Partial<TrialResult> = {}): TrialResult {
  return {
    trialId: `t${i}`,
    sweepId: SWEEP,
    params: toParamMap({ x: i }),
    seed: 0,
    index: i,
    status: ok ? TrialStatus.TRIAL_STATUS_OK : TrialStatus.TRIAL_STATUS_FAILED,
    error: ok ? '' : `boom ${i}`,
    metrics: ok ? { score: i, cost: 10 - i * i } : {},
    groupMetrics: [],
    attempts: 1,
    workerId: 'w1',
    backend: 'none',
    device: '',
    startedAtMs: 2_000 + i,
    finishedAtMs: 3_000 + i,
    ...extra,
  };
}

const shard = (ids: number[]): Shard => ({
  id: 's0',
  sweepId: SWEEP,
  method: 'sleep',
  dataset: undefined,
  pack: 0,
  maxAttempts: 3,
  trials: ids.map((i) => ({ id: `t${i}`, sweepId: SWEEP, index: i, params: toParamMap({ x: i }), seed: 0 })),
});

/** Everything observable about a lifecycle, for comparing two of them. */
const snapshot = (s: SweepLifecycle) => ({
  phase: s.phase,
  record: { ...s.record },
  progress: s.progress(),
  results: [...s.results.values()].sort((a, b) => a.index - b.index),
  frontier: s.frontierFor(),
  singleObjective: s.frontierFor([{ metric: 'score', goal: Goal.GOAL_MAX }]),
});

test('a new sweep is dispatching; markDispatched makes it running once, and a second time is refused', (t) => {
  const s = create();
  t.is(s.phase, 'dispatching');
  t.is(s.record.state, SweepState.SWEEP_STATE_RUNNING);
  t.false(s.record.dispatched);
  const before = s.record;
  const record = s.markDispatched();
  t.is(record?.dispatched, true);
  t.is(s.phase, 'running');
  t.true(s.record === record, 'the returned record is the current one');
  t.false(before.dispatched, 'the earlier snapshot did not change');
  const err = t.throws(() => s.markDispatched(), { instanceOf: SweepStateError });
  t.is(err?.transition, 'markDispatched');
  t.is(err?.sweepId, SWEEP);
  t.regex(err?.message ?? '', /unit-abc123 is running: cannot markDispatched/);
});

test('records handed out are frozen snapshots', (t) => {
  const s = running();
  const r: SweepRecord = s.record;
  t.throws(() => {
    r.state = SweepState.SWEEP_STATE_CANCELLED;
  }, { instanceOf: TypeError });
  t.is(s.phase, 'running');
});

test('recordResult: true for a new result, false (and nothing changes) when the trial already has one', (t) => {
  const s = running();
  const seen: string[] = [];
  s.on('result', (r) => seen.push(r.trialId));
  t.true(s.recordResult(result(0, true)));
  t.false(s.recordResult(result(0, false)), 'a second result for t0');
  t.false(s.recordResult(result(0, true, { metrics: { score: 99, cost: 0 } })));
  t.deepEqual(seen, ['t0']);
  t.is(s.ok, 1);
  t.is(s.failed, 0);
  t.is(s.results.get('t0')?.metrics.score, 0, 'the first result stands');
  t.is(s.frontierSize(), 1);
  t.throws(() => s.recordResult({ ...result(1, true), sweepId: 'other-sweep' }), { instanceOf: SweepStateError, message: /belongs to sweep other-sweep/ });
});

test('trial events: started marks a trial running, a retry clears it and keeps its error; both are ignored once it is recorded', (t) => {
  const s = running();
  t.true(s.trialStarted('t0', { workerId: 'w1', attempt: 1, sinceMs: 5 }));
  t.deepEqual(s.running.get('t0'), { workerId: 'w1', attempt: 1, sinceMs: 5 });
  t.true(s.trialRetrying('t0', 'out of memory'));
  t.false(s.running.has('t0'));
  t.true(s.trialStarted('t0', { workerId: 'w2', attempt: 2, sinceMs: 6 }));
  t.true(s.recordResult(result(0, true)));
  t.false(s.running.has('t0'), 'a result ends the running entry');
  t.false(s.trialStarted('t0', { workerId: 'w3', attempt: 3, sinceMs: 7 }), 'a late start event for a recorded trial');
  t.false(s.trialRetrying('t0', 'late'));
  t.is(s.running.size, 0);
});

test('settle: nothing until every trial has a result; then completed when one is ok, even if the others failed', (t) => {
  const s = running(3);
  const ends: Progress[] = [];
  s.on('end', (p) => ends.push(p));
  s.recordResult(result(0, false));
  s.recordResult(result(1, true));
  t.is(s.settle(9_000), undefined);
  t.is(s.phase, 'running');
  s.recordResult(result(2, false));
  const record = s.settle(9_000);
  t.is(record?.state, SweepState.SWEEP_STATE_COMPLETED);
  t.is(record?.finishedAtMs, 9_000);
  t.is(s.phase, 'completed');
  t.true(s.finished);
  t.is(s.settle(9_500), undefined, 'settling again changes nothing');
  t.is(ends.length, 1);
  t.is(ends[0]?.state, SweepState.SWEEP_STATE_COMPLETED);
  t.deepEqual([ends[0]?.ok, ends[0]?.failed, ends[0]?.running], [1, 2, 0]);
});

test('settle: a sweep whose every trial failed ends failed, with the first error as the reason', (t) => {
  const s = running(3);
  for (const i of [2, 0, 1]) s.recordResult(result(i, false));
  const record = s.settle(9_000);
  t.is(record?.state, SweepState.SWEEP_STATE_FAILED);
  t.is(s.phase, 'failed');
  t.true(s.finished);
  t.is(s.record.reason, 'every trial failed (3 of 3); the first error: boom 0');
  t.is(s.progress().state, SweepState.SWEEP_STATE_FAILED);
  t.deepEqual(s.frontierFor().rows, []);
});

test('a sweep can end while it is still dispatching; markDispatched then changes nothing', (t) => {
  const s = create(2);
  s.recordResult(result(0, true));
  s.recordResult(result(1, true));
  t.is(s.settle(9_000)?.state, SweepState.SWEEP_STATE_COMPLETED);
  t.is(s.markDispatched(), undefined);
  t.is(s.phase, 'completed');
});

test('cancel: from running or dispatching; again is a no-op; a completed or failed sweep is refused', (t) => {
  const s = running();
  s.trialStarted('t0', { workerId: 'w1', attempt: 1, sinceMs: 5 });
  let ended = 0;
  s.on('end', () => ended++);
  const record = s.cancel(9_000);
  t.is(record?.state, SweepState.SWEEP_STATE_CANCELLED);
  t.is(record?.reason, 'cancelled by request');
  t.is(s.phase, 'cancelled');
  t.is(s.running.size, 0);
  t.is(s.cancel(9_500), undefined);
  t.is(ended, 1);
  t.is(s.settle(9_600), undefined, 'a cancelled sweep does not complete');
  t.true(s.recordResult(result(0, true)), 'a trial that finished as it was cancelled is still recorded');
  t.false(s.trialStarted('t1', { workerId: 'w1', attempt: 1, sinceMs: 5 }));

  const dispatching = create();
  t.is(dispatching.cancel(1)?.state, SweepState.SWEEP_STATE_CANCELLED);
  t.is(dispatching.markDispatched(), undefined);
  t.is(dispatching.phase, 'cancelled');

  const completed = running(1);
  completed.recordResult(result(0, true));
  completed.settle(1);
  const err = t.throws(() => completed.cancel(2), { instanceOf: SweepStateError });
  t.is(err?.transition, 'cancel');
  t.regex(err?.message ?? '', /has already completed/);
  t.is(completed.phase, 'completed');

  const failed = running(1);
  failed.recordResult(result(0, false));
  failed.settle(1);
  t.throws(() => failed.cancel(2), { instanceOf: SweepStateError, message: /has already failed/ });
});

test('fail: a sweep still dispatching fails with the reason; an ended one is left as it is; a running one is refused', (t) => {
  const s = create();
  let ended = 0;
  s.on('end', () => ended++);
  const record = s.fail(9_000, 'dispatch failed: the store is full');
  t.is(record?.state, SweepState.SWEEP_STATE_FAILED);
  t.is(record?.reason, 'dispatch failed: the store is full');
  t.is(record?.finishedAtMs, 9_000);
  t.is(s.phase, 'failed');
  t.is(ended, 1);
  t.is(s.fail(9_500, 'again'), undefined);
  t.is(s.markDispatched(), undefined);
  t.throws(() => s.cancel(9_600), { instanceOf: SweepStateError, message: /has already failed/ });

  const cancelled = create();
  cancelled.cancel(1);
  t.is(cancelled.fail(2, 'late'), undefined);
  t.is(cancelled.phase, 'cancelled');

  t.throws(() => running().fail(1, 'no'), { instanceOf: SweepStateError, message: /cannot fail: its shards are queued already/ });
});

test('shardExhausted: failed results only for the unrecorded trials, with the last error a retry reported', (t) => {
  const s = running();
  s.recordResult(result(0, true));
  s.trialRetrying('t1', 'CUDA out of memory');
  s.trialStarted('t1', { workerId: 'w2', attempt: 3, sinceMs: 50 });
  s.trialStarted('t2', { workerId: 'w3', attempt: 3, sinceMs: 60 });
  const out = s.shardExhausted(shard([0, 1, 2]), 7_000);
  t.deepEqual(out.map((r) => r.trialId), ['t1', 't2']);
  t.true(out.every((r) => r.status === TrialStatus.TRIAL_STATUS_FAILED && r.sweepId === SWEEP && r.attempts === 3 && r.finishedAtMs === 7_000));
  t.is(out[0]?.error, 'CUDA out of memory');
  t.is(out[0]?.workerId, 'w2');
  t.regex(out[1]?.error ?? '', /no result after 3 delivery attempt\(s\) of shard s0: .*\(last on worker w3\)/);
  t.is(out[1]?.startedAtMs, 60);
  t.deepEqual(out[1]?.params, toParamMap({ x: 2 }));
  t.is(s.done, 1, 'the failed results are not recorded until they come back from the stream');
  t.deepEqual(s.shardExhausted(shard([0]), 7_000), [], 'nothing for a shard whose trials all have results');
  t.throws(() => s.shardExhausted({ ...shard([1]), sweepId: 'other-sweep' }, 7_000), { instanceOf: SweepStateError });
  s.cancel(8_000);
  t.deepEqual(s.shardExhausted(shard([1, 2]), 9_000), [], 'nothing once the sweep has ended');
});

test('rebuilt from its stored record and the replayed results, a sweep is in the same state', (t) => {
  const results = [result(0, true), result(1, false), result(2, true), result(3, true)];
  const live = running();
  for (const r of results.slice(0, 2)) live.recordResult(r);
  const midway = SweepLifecycle.fromRecord(live.record);
  for (const r of [...results.slice(0, 2)].reverse()) midway.recordResult(r);
  t.deepEqual(snapshot(midway), snapshot(live), 'mid-run');

  for (const r of results.slice(2)) live.recordResult(r);
  live.settle(9_000);
  t.is(live.phase, 'completed');
  const rebuilt = SweepLifecycle.fromRecord({ ...live.record });
  for (const r of [results[3]!, results[1]!, results[0]!, results[2]!, results[0]!]) rebuilt.recordResult(r);
  t.deepEqual(snapshot(rebuilt), snapshot(live), 'after completion');
  t.true((rebuilt.frontierFor().hypervolume ?? 0) > 0);

  // Stored while running, every result already in the stream: settling the rebuilt sweep completes it.
  const stale = SweepLifecycle.fromRecord(midway.record);
  for (const r of results) stale.recordResult(r);
  t.is(stale.phase, 'running');
  t.is(stale.settle(9_000)?.state, SweepState.SWEEP_STATE_COMPLETED);
  t.deepEqual(snapshot(stale), snapshot(live));
});

test('a stored record in no known state, or without a spec, is refused', (t) => {
  const record = running().record;
  t.throws(() => SweepLifecycle.fromRecord({ ...record, state: SweepState.SWEEP_STATE_UNSPECIFIED }), { instanceOf: SweepStateError, message: /no known state/ });
  t.throws(() => SweepLifecycle.fromRecord({ ...record, spec: undefined }), { instanceOf: SweepStateError, message: /no spec/ });
  t.is(SweepLifecycle.fromRecord({ ...record, state: SweepState.SWEEP_STATE_FAILED }).phase, 'failed');
});
