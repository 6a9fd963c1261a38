/** Pareto frontiers over any number of objectives, each maximised or minimised. */
export type Goal = 'max' | 'min';

export interface ObjectiveSpec {
  metric: string;
  goal: Goal;
}

/** A row to rank: `values` in objective order, raw (not negated). */
export interface Candidate<T = unknown> {
  id: string;
  values: readonly number[];
  item: T;
}

/** A row is usable when it has one non-NaN number per objective (±Infinity are ordinary values). */
export function isComplete(values: readonly number[], dims: number): boolean {
  if (values.length !== dims) return false;
  for (const v of values) if (typeof v !== 'number' || Number.isNaN(v)) return false;
  return true;
}

/** Values turned so that larger is better in every objective. */
function oriented(values: readonly number[], goals: readonly Goal[]): number[] {
  return values.map((v, i) => (goals[i] === 'min' ? -v : v));
}

/** a dominates b: no worse everywhere, better somewhere (both oriented larger-is-better). */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x < y) return false;
    if (x > y) better = true;
  }
  return better;
}

/** Sort best-first by each objective in turn, then by id: the order frontiers are returned in. */
function compareRows(a: { o: number[]; c: Candidate<unknown> }, b: { o: number[]; c: Candidate<unknown> }): number {
  for (let i = 0; i < a.o.length; i++) {
    const d = (b.o[i] as number) - (a.o[i] as number);
    if (d !== 0 && !Number.isNaN(d)) return d;
    if (a.o[i] !== b.o[i]) return (a.o[i] as number) > (b.o[i] as number) ? -1 : 1;
  }
  return a.c.id < b.c.id ? -1 : a.c.id > b.c.id ? 1 : 0;
}

/**
 * The non-dominated rows. Rows with identical objective vectors are all kept; rows missing an
 * objective or with NaN are left out. Two objectives: O(n log n) sort and sweep; more: a filter
 * over the rows sorted best-first (a row can only be dominated by one before it).
 */
export function paretoFront<T>(cands: readonly Candidate<T>[], goals: readonly Goal[]): Candidate<T>[] {
  const dims = goals.length;
  const rows = (dims === 2 ? prefilter2d(cands, goals) : cands.filter((c) => isComplete(c.values, dims))).map((c) => ({ o: oriented(c.values, goals), c }));
  rows.sort(compareRows);
  if (dims === 0) return [];
  if (dims === 1) {
    const best = rows[0]?.o[0];
    return rows.filter((r) => r.o[0] === best).map((r) => r.c);
  }
  const out: { o: number[]; c: Candidate<T> }[] = [];
  if (dims === 2) {
    // Sorted by first objective desc, then second desc. A row is on the front when its second
    // value beats every row with a strictly larger first value, and ties its own group's best.
    let bestSecondBefore = -Infinity; // best second value among rows with a larger first value
    let i = 0;
    let seenAny = false;
    while (i < rows.length) {
      const first = rows[i]!.o[0];
      let j = i;
      while (j < rows.length && rows[j]!.o[0] === first) j++;
      const groupBest = rows[i]!.o[1] as number; // sorted desc within the group
      for (let k = i; k < j; k++) {
        const r = rows[k]!;
        const s = r.o[1] as number;
        if (s === groupBest && (!seenAny || s > bestSecondBefore)) out.push(r);
      }
      if (!seenAny || groupBest > bestSecondBefore) bestSecondBefore = groupBest;
      seenAny = true;
      i = j;
    }
    return out.map((r) => r.c);
  }
  for (const r of rows) {
    if (!out.some((f) => dominates(f.o, r.o))) out.push(r);
  }
  return out.map((r) => r.c);
}

/** Buckets of the first objective used to discard most dominated rows in linear time. */
const PREFILTER_BUCKETS = 4096;

/**
 * The complete rows of a 2-objective set, less most of the dominated ones, in O(n): rows are
 * bucketed by their first objective; a row is dominated when some bucket of strictly larger first
 * values holds a second value at least as good. Frontier rows are never discarded, so the exact
 * sweep over what is left gives the same frontier as over everything.
 */
function prefilter2d<T>(cands: readonly Candidate<T>[], goals: readonly Goal[]): Candidate<T>[] {
  const n = cands.length;
  const s0 = goals[0] === 'min' ? -1 : 1;
  const s1 = goals[1] === 'min' ? -1 : 1;
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const ok = new Uint8Array(n);
  let lo = Infinity;
  let hi = -Infinity;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = (cands[i] as Candidate<T>).values;
    if (!isComplete(v, 2)) continue;
    ok[i] = 1;
    count++;
    const x = s0 * (v[0] as number);
    a[i] = x;
    b[i] = s1 * (v[1] as number);
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const out: Candidate<T>[] = [];
  if (count <= PREFILTER_BUCKETS || !Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) {
    for (let i = 0; i < n; i++) if (ok[i]) out.push(cands[i] as Candidate<T>);
    return out;
  }
  const scale = PREFILTER_BUCKETS / (hi - lo);
  const bucketOf = (x: number): number => Math.min(PREFILTER_BUCKETS - 1, Math.floor((x - lo) * scale));
  const best = new Float64Array(PREFILTER_BUCKETS + 1).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    if (!ok[i]) continue;
    const k = bucketOf(a[i] as number);
    if ((b[i] as number) > (best[k] as number)) best[k] = b[i] as number;
  }
  // best[k] becomes the best second value over buckets strictly above k.
  let run = -Infinity;
  for (let k = PREFILTER_BUCKETS - 1; k >= 0; k--) {
    const here = best[k] as number;
    best[k] = run;
    if (here > run) run = here;
  }
  for (let i = 0; i < n; i++) if (ok[i] && (b[i] as number) > (best[bucketOf(a[i] as number)] as number)) out.push(cands[i] as Candidate<T>);
  return out;
}

/**
 * Area dominated by the points and bounded by the reference point, for two objectives. Points that
 * do not strictly improve on the reference in both objectives add nothing. O(n log n).
 */
export function hypervolume2d(points: readonly (readonly [number, number])[], goals: readonly [Goal, Goal], reference: readonly [number, number]): number {
  const ref = oriented(reference, goals);
  const r0 = ref[0] as number;
  const r1 = ref[1] as number;
  const pts = points
    .map((p) => oriented(p, goals))
    .filter((p) => (p[0] as number) > r0 && (p[1] as number) > r1)
    .sort((a, b) => (b[0] as number) - (a[0] as number) || (b[1] as number) - (a[1] as number));
  let area = 0;
  let covered = r1; // highest second value seen so far (sweeping from the best first value down)
  for (const p of pts) {
    const y = p[1] as number;
    if (y > covered) {
      area += ((p[0] as number) - r0) * (y - covered);
      covered = y;
    }
  }
  return area;
}

/** Default hypervolume reference: the worst finite value seen per objective (min for max-goals, max for min-goals). */
export function defaultReference(values: readonly (readonly number[])[], goals: readonly Goal[]): number[] {
  return goals.map((g, i) => {
    let worst = g === 'max' ? Infinity : -Infinity;
    for (const v of values) {
      const x = v[i];
      if (typeof x !== 'number' || !Number.isFinite(x)) continue;
      worst = g === 'max' ? Math.min(worst, x) : Math.max(worst, x);
    }
    return Number.isFinite(worst) ? worst : 0;
  });
}
