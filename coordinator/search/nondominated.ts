/** Non-dominated sorting and crowding distance (Deb, Pratap, Agarwal & Meyarivan 2002), every objective minimised. */

/** True when a is no worse than b in every objective and better in one. */
export function dominatesMin(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x > y) return false;
    if (x < y) better = true;
  }
  return better;
}

/**
 * Fast non-dominated sort: the fronts, as lists of indices into `values`, best first (front 0 is
 * dominated by no point; front k by points of fronts < k only). Indices within a front ascend.
 */
export function nonDominatedSort(values: readonly (readonly number[])[]): number[][] {
  const n = values.length;
  const dominatedBy = new Array<number>(n).fill(0);
  const dominating: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = values[i] as readonly number[];
      const b = values[j] as readonly number[];
      if (dominatesMin(a, b)) {
        (dominating[i] as number[]).push(j);
        dominatedBy[j] = (dominatedBy[j] as number) + 1;
      } else if (dominatesMin(b, a)) {
        (dominating[j] as number[]).push(i);
        dominatedBy[i] = (dominatedBy[i] as number) + 1;
      }
    }
  }
  const fronts: number[][] = [];
  let current = [...Array(n).keys()].filter((i) => dominatedBy[i] === 0);
  while (current.length > 0) {
    fronts.push(current);
    const next: number[] = [];
    for (const i of current) {
      for (const j of dominating[i] as number[]) {
        dominatedBy[j] = (dominatedBy[j] as number) - 1;
        if (dominatedBy[j] === 0) next.push(j);
      }
    }
    current = next.sort((a, b) => a - b);
  }
  return fronts;
}

/**
 * Crowding distance of each point of one front (same order as `front`): per objective, the points
 * sorted by that objective, the two extremes get Infinity, the others the gap between their
 * neighbours divided by the objective's range; summed over objectives. Ties keep index order.
 */
export function crowdingDistance(values: readonly (readonly number[])[], front: readonly number[]): number[] {
  const m = front.length;
  const dist = new Array<number>(m).fill(0);
  if (m === 0) return dist;
  const dims = (values[front[0] as number] as readonly number[]).length;
  for (let d = 0; d < dims; d++) {
    const order = [...Array(m).keys()].sort((a, b) => (values[front[a] as number]?.[d] as number) - (values[front[b] as number]?.[d] as number) || a - b);
    const v = (k: number): number => values[front[order[k] as number] as number]?.[d] as number;
    dist[order[0] as number] = Infinity;
    dist[order[m - 1] as number] = Infinity;
    const range = v(m - 1) - v(0);
    if (!(range > 0)) continue;
    for (let k = 1; k < m - 1; k++) dist[order[k] as number] = (dist[order[k] as number] as number) + (v(k + 1) - v(k - 1)) / range;
  }
  return dist;
}

/**
 * The `count` best points by (front, then larger crowding distance, then index): NSGA-II's
 * environmental selection. Returns indices with each one's rank and crowding distance.
 */
export function rankAndCrowd(values: readonly (readonly number[])[]): { rank: number[]; crowding: number[] } {
  const rank = new Array<number>(values.length).fill(0);
  const crowding = new Array<number>(values.length).fill(0);
  nonDominatedSort(values).forEach((front, r) => {
    const cd = crowdingDistance(values, front);
    front.forEach((i, k) => {
      rank[i] = r;
      crowding[i] = cd[k] as number;
    });
  });
  return { rank, crowding };
}

/** Indices of the `count` best points by (rank, larger crowding distance, index). */
export function selectBest(values: readonly (readonly number[])[], count: number): number[] {
  const { rank, crowding } = rankAndCrowd(values);
  return [...values.keys()]
    .sort((a, b) => (rank[a] as number) - (rank[b] as number) || (crowding[b] as number) - (crowding[a] as number) || a - b)
    .slice(0, count);
}
