import test from 'ava';
import fc from 'fast-check';
import { IncrementalFrontier, assembleFrontier, hypervolume2d, paretoFront, defaultReference, type Candidate, type Goal } from '../coordinator/frontier/index.js';

/** Brute force: a row survives unless some row is no worse everywhere and better somewhere. */
function oracle(rows: readonly Candidate<null>[], goals: readonly Goal[]): string[] {
  const ok = rows.filter((r) => r.values.length === goals.length && r.values.every((v) => !Number.isNaN(v)));
  const better = (a: number, b: number, g: Goal): boolean => (g === 'max' ? a > b : a < b);
  const noWorse = (a: number, b: number, g: Goal): boolean => (g === 'max' ? a >= b : a <= b);
  return ok
    .filter((r) => !ok.some((q) => goals.every((g, i) => noWorse(q.values[i]!, r.values[i]!, g)) && goals.some((g, i) => better(q.values[i]!, r.values[i]!, g))))
    .map((r) => r.id)
    .sort();
}

const goalsArb = (k: number): fc.Arbitrary<Goal[]> => fc.array(fc.constantFrom<Goal>('max', 'min'), { minLength: k, maxLength: k });
const valueArb = fc.oneof({ weight: 20, arbitrary: fc.integer({ min: -4, max: 4 }) }, { weight: 1, arbitrary: fc.constant(Number.NaN) }, { weight: 1, arbitrary: fc.constantFrom(Infinity, -Infinity) });
const rowsArb = (k: number): fc.Arbitrary<Candidate<null>[]> =>
  fc.array(
    fc.oneof({ weight: 15, arbitrary: fc.array(valueArb, { minLength: k, maxLength: k }) }, { weight: 1, arbitrary: fc.array(valueArb, { minLength: 0, maxLength: k - 1 }) }),
    { maxLength: 60 },
  ).map((vs) => vs.map((values, i) => ({ id: `r${String(i).padStart(3, '0')}`, values, item: null })));

for (const k of [1, 2, 3, 4]) {
  test(`property: paretoFront equals the brute-force oracle for ${k} objective(s), ties and duplicates kept, NaN and missing left out`, (t) => {
    fc.assert(
      fc.property(rowsArb(k), goalsArb(k), (rows, goals) => {
        const got = paretoFront(rows, goals).map((c) => c.id).sort();
        return JSON.stringify(got) === JSON.stringify(oracle(rows, goals));
      }),
      { numRuns: 300 },
    );
    t.pass();
  });
}

test('property: the incremental frontier equals paretoFront for any insertion order', (t) => {
  fc.assert(
    fc.property(rowsArb(2), goalsArb(2), fc.integer({ min: 0, max: 1000 }), (rows, goals, seed) => {
      const order = [...rows].sort((a, b) => ((a.id.charCodeAt(2) * 31 + seed) % 17) - ((b.id.charCodeAt(2) * 31 + seed) % 17));
      const inc = new IncrementalFrontier<null>(goals);
      for (const r of order) inc.add(r);
      return JSON.stringify(inc.rows().map((c) => c.id).sort()) === JSON.stringify(oracle(rows, goals));
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('hand cases: identical vectors all kept, mixed goals, frontier order best-first', (t) => {
  const rows = [
    { id: 'a', values: [0.9, 0.3], item: null },
    { id: 'b', values: [0.8, 0.1], item: null },
    { id: 'c', values: [0.8, 0.1], item: null },
    { id: 'd', values: [0.7, 0.2], item: null },
    { id: 'e', values: [0.95, Number.NaN], item: null },
  ];
  t.deepEqual(paretoFront(rows, ['max', 'min']).map((c) => c.id), ['a', 'b', 'c']);
  t.deepEqual(paretoFront(rows, ['min', 'max']).map((c) => c.id), ['d', 'a']);
});

/** Brute force hypervolume on integer points: count unit cells dominated by some point. */
function gridHypervolume(points: [number, number][], ref: [number, number]): number {
  let cells = 0;
  for (let x = ref[0]; x < 10; x++) for (let y = ref[1]; y < 10; y++) if (points.some(([px, py]) => px >= x + 1 && py >= y + 1)) cells++;
  return cells;
}

test('property: 2-D hypervolume equals counting the dominated unit cells (maximisation, and min goals by mirroring)', (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: -3, max: 9 }), fc.integer({ min: -3, max: 9 })), { maxLength: 25 }), (pts) => {
      const ref: [number, number] = [0, 0];
      const want = gridHypervolume(pts as [number, number][], ref);
      const max = hypervolume2d(pts, ['max', 'max'], ref);
      const mirrored = hypervolume2d(pts.map(([x, y]) => [-x, -y] as const), ['min', 'min'], [0, 0]);
      const mixed = hypervolume2d(pts.map(([x, y]) => [x, -y] as const), ['max', 'min'], [0, 0]);
      return max === want && mirrored === want && mixed === want;
    }),
    { numRuns: 300 },
  );
  t.is(hypervolume2d([[2, 3]], ['max', 'max'], [0, 0]), 6);
  t.is(hypervolume2d([[2, 3], [3, 1]], ['max', 'max'], [0, 0]), 7);
  t.is(hypervolume2d([], ['max', 'max'], [0, 0]), 0);
  t.deepEqual(defaultReference([[1, 5], [3, 2], [Number.NaN, 9]], ['max', 'min']), [1, 9]);
});

test('property: large 2-D sets (where the linear-time prefilter runs) give the brute-force frontier', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), goalsArb(2), fc.boolean(), (seed, goals, ties) => {
      let s = seed;
      const rnd = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
      const rows: Candidate<null>[] = Array.from({ length: 5000 }, (_, i) => {
        const a = ties ? Math.floor(rnd() * 60) : rnd();
        const b = ties ? Math.floor(a / 2 + rnd() * 30) : a * 0.5 + rnd() * 0.5;
        return { id: `r${String(i).padStart(5, '0')}`, values: i % 997 === 0 ? [a, Number.NaN] : [a, b], item: null };
      });
      return JSON.stringify(paretoFront(rows, goals).map((c) => c.id).sort()) === JSON.stringify(oracle(rows, goals));
    }),
    { numRuns: 12 },
  );
  t.pass();
});

/** Brute-force 2-D hypervolume of integer points: unit cells above the reference that some complete point covers. */
function cellHypervolume(rows: readonly Candidate<null>[], goals: readonly [Goal, Goal], reference: readonly number[]): number {
  const o = (v: number, g: Goal): number => (g === 'min' ? -v : v);
  const pts = rows.filter((r) => r.values.length === 2 && r.values.every((v) => Number.isFinite(v))).map((r) => [o(r.values[0]!, goals[0]), o(r.values[1]!, goals[1])] as const);
  const r0 = o(reference[0]!, goals[0]);
  const r1 = o(reference[1]!, goals[1]);
  let cells = 0;
  for (let x = r0; x < 10; x++) for (let y = r1; y < 10; y++) if (pts.some(([px, py]) => px >= x + 1 && py >= y + 1)) cells++;
  return cells;
}

/** The worst value of each objective over every row that has one (missing values skipped). */
function worstValues(rows: readonly Candidate<null>[], goals: readonly Goal[]): number[] {
  return goals.map((g, i) => {
    const vs = rows.flatMap((r) => (r.values[i] !== undefined ? [r.values[i]!] : []));
    return vs.length === 0 ? 0 : g === 'max' ? Math.min(...vs) : Math.max(...vs);
  });
}

// Integer values only, some rows short of an objective: hypervolumes can be checked cell by cell.
const finiteRowsArb = (k: number): fc.Arbitrary<Candidate<null>[]> =>
  fc.array(
    fc.oneof({ weight: 10, arbitrary: fc.array(fc.integer({ min: -4, max: 4 }), { minLength: k, maxLength: k }) }, { weight: 1, arbitrary: fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 0, maxLength: k - 1 }) }),
    { maxLength: 40 },
  ).map((vs) => vs.map((values, i) => ({ id: `r${String(i).padStart(3, '0')}`, values, item: null })));

test('property: assembleFrontier gives the brute-force frontier, the worst-value reference and the cell-counted hypervolume (2 objectives)', (t) => {
  fc.assert(
    fc.property(finiteRowsArb(2), goalsArb(2), fc.option(fc.tuple(fc.integer({ min: -6, max: 6 }), fc.integer({ min: -6, max: 6 })), { nil: undefined }), (rows, goals, given) => {
      const f = assembleFrontier(rows, goals, given ? { reference: given } : {});
      const ids = f.rows.map((c) => c.id);
      if (JSON.stringify([...ids].sort()) !== JSON.stringify(oracle(rows, goals))) return false;
      if (JSON.stringify(ids) !== JSON.stringify(paretoFront(rows, goals).map((c) => c.id))) return false; // frontier order
      if (ids.length === 0) return f.reference === null && f.hypervolume === null;
      const ref = given ?? worstValues(rows, goals);
      return JSON.stringify(f.reference) === JSON.stringify(ref) && f.hypervolume === cellHypervolume(rows, [goals[0]!, goals[1]!], ref);
    }),
    { numRuns: 400 },
  );
  t.pass();
});

for (const k of [1, 3]) {
  test(`property: assembleFrontier on ${k} objective(s) gives the brute-force frontier and no hypervolume`, (t) => {
    fc.assert(
      fc.property(rowsArb(k), goalsArb(k), (rows, goals) => {
        const f = assembleFrontier(rows, goals);
        return JSON.stringify(f.rows.map((c) => c.id).sort()) === JSON.stringify(oracle(rows, goals)) && f.reference === null && f.hypervolume === null;
      }),
      { numRuns: 200 },
    );
    t.pass();
  });
}

test('assembleFrontier: rows carry their payload; non-finite areas are null; a reference of the wrong length is refused', (t) => {
  const rows = [
    { id: 'a', values: [0.9, 0.3], item: { n: 1 } },
    { id: 'b', values: [0.8, 0.1], item: { n: 2 } },
    { id: 'c', values: [0.5, 0.5], item: { n: 3 } },
  ];
  const f = assembleFrontier(rows, ['max', 'min']);
  t.deepEqual(f.rows.map((c) => c.item.n), [1, 2]);
  t.deepEqual(f.reference, [0.5, 0.5]);
  t.true(Math.abs((f.hypervolume ?? NaN) - (0.4 * 0.2 + 0.3 * 0.2)) < 1e-12);
  t.is(assembleFrontier([{ id: 'i', values: [Infinity, 0], item: null }], ['max', 'min'], { reference: [0, 1] }).hypervolume, null);
  t.deepEqual(assembleFrontier([], ['max', 'min']), { rows: [], reference: null, hypervolume: null });
  const err = t.throws(() => assembleFrontier(rows, ['max', 'min'], { reference: [0] }), { instanceOf: RangeError });
  t.regex(err.message, /expected 2 values \(one per objective\), got 1/);
});

test('property: the incremental frontier\'s hypervolume (sweep progress) equals assembleFrontier\'s (the Frontier call), incomplete rows included', (t) => {
  fc.assert(
    fc.property(rowsArb(2), goalsArb(2), (rows, goals) => {
      const inc = new IncrementalFrontier<null>(goals);
      for (const r of rows) inc.add(r);
      const progress = inc.hypervolume();
      const frontier = assembleFrontier(rows, goals).hypervolume;
      return frontier === null ? progress === null || !Number.isFinite(progress) : progress === frontier;
    }),
    { numRuns: 400 },
  );
  t.pass();
});
