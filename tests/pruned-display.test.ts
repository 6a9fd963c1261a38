import test from 'ava';
import { ExitCode, sweepExitCode } from '../cli/exit-codes.js';
import { failureGroups } from '../cli/failure-digest.js';
import { formatSummary } from '../cli/summary.js';
import { progressJson, progressLine } from '../cli/progress-format.js';
import { toResultRow } from '../cli/result-format.js';
import { groupConfigurations } from '../coordinator/configurations/group.js';
import { SweepState, TrialStatus, type Progress, type TrialResult } from '../proto/index.js';

const progress: Progress = { sweepId: 's', state: SweepState.SWEEP_STATE_COMPLETED, total: 9, ok: 3, failed: 0, pruned: 6, running: 0, frontierSize: 2, createdAtMs: 1, finishedAtMs: 2 };

test('status and watch lines count pruned trials apart, and a sweep with pruned trials exits ok', (t) => {
  t.is(progressLine(progress), 's completed: 9/9 done (ok 3, failed 0, pruned 6, running 0), frontier 2');
  t.is(progressJson(progress)['pruned'], 6);
  t.is(sweepExitCode(progress), ExitCode.Ok);
  t.is(sweepExitCode({ ...progress, pruned: 5 }), ExitCode.TrialsFailed, 'a trial without a result is still missing');
});

test('a pruned result row carries its step; the summary counts it apart and not as a failure', (t) => {
  const r: TrialResult = { trialId: 't1', sweepId: 's', params: {}, seed: 0, index: 0, status: TrialStatus.TRIAL_STATUS_PRUNED, error: 'stopped early at rung 0 (step 10)', metrics: { 'val/accuracy': 0.5 }, groupMetrics: [], attempts: 1, workerId: 'w', backend: '', device: '', startedAtMs: 0, finishedAtMs: 5, step: 10 };
  const row = toResultRow(r);
  t.is(row.status, 'pruned');
  t.is(row.step, 10);
  const ok = { ...toResultRow({ ...r, trialId: 't2', status: TrialStatus.TRIAL_STATUS_OK, step: undefined }), error: undefined };
  t.is(ok.step, undefined);
  t.deepEqual(failureGroups([row, ok]), []);
  const text = formatSummary('s', 'completed', [row, ok], { objectives: [{ metric: 'val/accuracy', goal: 'max' }], frontier: [], hypervolume: null, reference: null }, 1);
  t.regex(text, /trials: 2 recorded, 1 ok, 0 failed, 1 pruned \(stopped early\)/);
});

test('configurations keep a pruned trial out of both their ok and failed seeds', (t) => {
  const [c] = groupConfigurations([
    { trial_id: 'a', params: { lr: 1 }, seed: 0, status: 'ok', metrics: { m: 1 } },
    { trial_id: 'b', params: { lr: 1 }, seed: 1, status: 'pruned', metrics: { m: 0 } },
  ]);
  t.is(c?.trials.length, 2);
  t.is(c?.ok.length, 1);
  t.is(c?.failed.length, 0);
});
