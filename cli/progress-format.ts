import { SweepState, type Progress, type TrialEvent } from '../proto/index.js';

/** `running`, `completed`, `cancelled`. */
export const stateName = (s: SweepState): string => (SweepState[s] ?? 'SWEEP_STATE_UNSPECIFIED').replace('SWEEP_STATE_', '').toLowerCase();

/** One human line: `ID completed: 12/12 done (ok 12, failed 0, running 0), frontier 4 hypervolume 0.0123`. */
export function progressLine(p: Progress): string {
  const hv = p.hypervolume !== undefined ? ` hypervolume ${p.hypervolume.toPrecision(5)}` : '';
  const pruned = p.pruned ? `, pruned ${p.pruned}` : '';
  return `${p.sweepId} ${stateName(p.state)}: ${p.ok + p.failed + (p.pruned ?? 0)}/${p.total} done (ok ${p.ok}, failed ${p.failed}${pruned}, running ${p.running}), frontier ${p.frontierSize}${hv}`;
}

/** Progress as the JSON the CLI prints (`status --json`, `watch --json`, `submit --wait --json`). */
export function progressJson(p: Progress): Record<string, string | number | null> {
  return {
    sweep_id: p.sweepId,
    state: stateName(p.state),
    total: p.total,
    ok: p.ok,
    failed: p.failed,
    pruned: p.pruned ?? 0,
    running: p.running,
    frontier_size: p.frontierSize,
    hypervolume: p.hypervolume ?? null,
  };
}

/** A running trial's progress report in one line: `t3 attempt 1 step 100: train/loss=0.3123`. */
export function trialProgressLine(ev: TrialEvent): string {
  const metrics = Object.entries(ev.metrics)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toPrecision(4)}`)
    .join(' ');
  return `${ev.trialId} attempt ${ev.attempt} step ${ev.step}${metrics ? `: ${metrics}` : ''}`;
}

/** A running trial's progress report as JSON (`fairsweep watch --json`). */
export function trialProgressJson(ev: TrialEvent): Record<string, unknown> {
  return { trial_id: ev.trialId, worker_id: ev.workerId, attempt: ev.attempt, step: ev.step, metrics: ev.metrics, at_ms: ev.atMs };
}
