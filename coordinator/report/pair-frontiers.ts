import { assembleFrontier, type Goal } from '../frontier/index.js';

const GOALS: readonly Goal[] = ['max', 'min'];

/**
 * Key of a plotted pair in `ReportData.pair_frontiers`: the two metrics in the order of
 * `ReportData.axes`, each with its goal. The page script builds the same JSON to look a pair up.
 */
export function pairKey(first: string, firstGoal: Goal, second: string, secondGoal: Goal): string {
  return JSON.stringify([first, firstGoal, second, secondGoal]);
}

/**
 * The 2-D frontier of every pair of distinct axes, under each of the four choices of goals, over
 * the ok trials that have a finite value for both metrics (the points the page can plot), as
 * indexes into `trials` in frontier order. The page draws these; it computes no frontier itself.
 */
export function pairFrontiers(
  trials: readonly { trial_id: string; status: string; metrics: Readonly<Record<string, number>> }[],
  axes: readonly string[],
): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  const ok = trials.flatMap((t, index) => (t.status === 'ok' ? [{ t, index }] : []));
  axes.forEach((a, i) => {
    for (const b of axes.slice(i + 1)) {
      if (a === b) continue;
      const points = ok.flatMap(({ t, index }) => {
        const x = t.metrics[a];
        const y = t.metrics[b];
        return x !== undefined && y !== undefined && Number.isFinite(x) && Number.isFinite(y) ? [{ id: t.trial_id, values: [x, y], item: index }] : [];
      });
      for (const ga of GOALS) for (const gb of GOALS) out[pairKey(a, ga, b, gb)] = assembleFrontier(points, [ga, gb]).rows.map((c) => c.item);
    }
  });
  return out;
}
