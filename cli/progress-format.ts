import { SweepState, type Progress } from '../proto/index.js';

/** `running`, `completed`, `cancelled`. */
export const stateName = (s: SweepState): string => (SweepState[s] ?? 'SWEEP_STATE_UNSPECIFIED').replace('SWEEP_STATE_', '').toLowerCase();

/** One human line: `ID completed: 12/12 done (ok 12, failed 0, running 0), frontier 4 hypervolume 0.0123`. */
export function progressLine(p: Progress): string {
  const hv = p.hypervolume !== undefined ? ` hypervolume ${p.hypervolume.toPrecision(5)}` : '';
  return `${p.sweepId} ${stateName(p.state)}: ${p.ok + p.failed}/${p.total} done (ok ${p.ok}, failed ${p.failed}, running ${p.running}), frontier ${p.frontierSize}${hv}`;
}

/** Progress as the JSON the CLI prints (`status --json`, `watch --json`, `submit --wait --json`). */
export function progressJson(p: Progress): Record<string, string | number | null> {
  return {
    sweep_id: p.sweepId,
    state: stateName(p.state),
    total: p.total,
    ok: p.ok,
    failed: p.failed,
    running: p.running,
    frontier_size: p.frontierSize,
    hypervolume: p.hypervolume ?? null,
  };
}
