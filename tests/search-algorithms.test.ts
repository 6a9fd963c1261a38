import test from 'ava';
import fc from 'fast-check';
import {
  AdaptiveSearch,
  UnitSpace,
  crowdingDistance,
  hypervolume,
  hypervolumeContributions,
  motpe,
  nonDominatedSort,
  nsga2,
  randomSearch,
  searchAlgorithm,
  selectBest,
  splitBelow,
  SEARCH_ALGORITHMS,
  UnivariateParzen,
  type MotpeOptions,
  type Observation,
  type SearchAlgorithm,
} from '../coordinator/search/index.js';
import { Rng } from '../common/random.js';
import { zdtObjectives } from '../worker/methods/zdt-problems.js';

test('non-dominated sort: hand-computed fronts', (t) => {
  // A(1,5) B(2,3) C(3,1) D(2,5) E(4,4) F(3,3): D is dominated by A and B, F by B, E by B, C and F.
  const v = [[1, 5], [2, 3], [3, 1], [2, 5], [4, 4], [3, 3]];
  t.deepEqual(nonDominatedSort(v), [[0, 1, 2], [3, 5], [4]]);
  t.deepEqual(nonDominatedSort([]), []);
  // Equal points do not dominate each other.
  t.deepEqual(nonDominatedSort([[1, 1], [1, 1], [2, 2]]), [[0, 1], [2]]);
});

test('crowding distance: hand-computed cases', (t) => {
  const v = [[1, 5], [2, 3], [3, 1]];
  // B: (3 − 1)/2 in f1 + (5 − 1)/4 in f2.
  t.deepEqual(crowdingDistance(v, [0, 1, 2]), [Infinity, 2, Infinity]);
  const w = [[0, 10], [1, 6], [4, 3], [10, 0]];
  const cd = crowdingDistance(w, [0, 1, 2, 3]);
  // P1: (4 − 0)/10 + (10 − 3)/10 = 1.1; P2: (10 − 1)/10 + (6 − 0)/10 = 1.5.
  t.is(cd[0], Infinity);
  t.true(Math.abs((cd[1] as number) - 1.1) < 1e-12 && Math.abs((cd[2] as number) - 1.5) < 1e-12, cd.join(','));
  t.is(cd[3], Infinity);
  // Selection: whole first front, then the more crowded-apart... here the front of 4 cut to 3 drops P1.
  t.deepEqual(selectBest(w, 3).sort(), [0, 2, 3]);
  t.deepEqual(selectBest([[1, 5], [2, 3], [3, 1], [2, 5], [4, 4], [3, 3]], 4).sort(), [0, 1, 2, 3]);
});

test('non-dominated sort agrees with a brute-force definition', (t) => {
  fc.assert(
    fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 3, maxLength: 3 }), { maxLength: 30 }), (v) => {
      const fronts = nonDominatedSort(v);
      const rank = new Map<number, number>();
      fronts.forEach((f, r) => f.forEach((i) => rank.set(i, r)));
      const dom = (a: number[], b: number[]): boolean => a.every((x, i) => x <= (b[i] as number)) && a.some((x, i) => x < (b[i] as number));
      // Every point is ranked once; rank = 1 + the largest rank of a point dominating it (0 if none).
      return rank.size === v.length && v.every((p, i) => rank.get(i) === Math.max(-1, ...v.flatMap((q, j) => (dom(q, p) ? [rank.get(j) as number] : []))) + 1);
    }),
  );
  t.pass();
});

test('hypervolume: hand-computed 2-D and 3-D cases, and contributions', (t) => {
  t.is(hypervolume([[1, 3], [2, 2], [3, 1]], [4, 4]), 6);
  t.is(hypervolume([[1, 3], [2, 2], [3, 1], [3, 3], [5, 0]], [4, 4]), 6, 'dominated points and points beyond the reference add nothing');
  t.is(hypervolume([[0, 0, 0]], [1, 2, 3]), 6);
  t.is(hypervolume([[0, 0, 1], [1, 1, 0]], [2, 2, 2]), 5);
  t.deepEqual(hypervolumeContributions([[1, 3], [2, 2], [3, 1]], [4, 4]), [1, 1, 1]);
  t.is(hypervolume([], [1, 1]), 0);
});

test('3-D hypervolume agrees with counting dominated unit cells', (t) => {
  fc.assert(
    fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 3, maxLength: 3 }), { maxLength: 12 }), (pts) => {
      let cells = 0;
      for (let a = 0; a < 5; a++) for (let b = 0; b < 5; b++) for (let c = 0; c < 5; c++) if (pts.some((p) => (p[0] as number) <= a && (p[1] as number) <= b && (p[2] as number) <= c)) cells++;
      return hypervolume(pts, [5, 5, 5]) === cells;
    }),
  );
  t.pass();
});

test('MOTPE good set: whole fronts, then the last front cut by hypervolume subset selection', (t) => {
  // Front 0: 0 (0,0); front 1: 1 (1,4), 2 (2,2), 3 (4,1); 4 (5,5) is dominated by them all.
  const v = [[0, 0], [1, 4], [2, 2], [4, 1], [5, 5]];
  t.deepEqual(splitBelow(v, 1), [0]);
  // Front 1's reference is 1.1 × its worst point, (4.4, 4.4): (2, 2) alone adds 2.4² = 5.76, the
  // others 3.4 · 0.4 = 1.36 each; then (1, 4) and (4, 1) add 0.4 each, the tie going to the first.
  t.deepEqual(splitBelow(v, 2), [0, 2]);
  t.deepEqual(splitBelow(v, 3), [0, 1, 2]);
  t.deepEqual(splitBelow(v, 4), [0, 1, 2, 3]);
  t.deepEqual(splitBelow(v, 5), [0, 1, 2, 3, 4]);
});

const zdtObserve = (u: readonly number[]): number[] => zdtObjectives('zdt1', u);

function observations(n: number, seed: number): Observation[] {
  return randomSearch.ask({ seed, batch: 0, count: n, dims: 5, observations: [], pending: [] }).map((u, i) => ({ u, values: i % 7 === 3 ? undefined : zdtObserve(u) }));
}

for (const name of SEARCH_ALGORITHMS) {
  test(`${name}: proposals lie in the unit cube and are a function of (seed, batch, observations)`, (t) => {
    const alg: SearchAlgorithm = searchAlgorithm(name);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 6 }), (seed, n, count) => {
        const req = { seed, batch: 3, count, dims: 5, observations: observations(n, seed + 1), pending: [] };
        const a = alg.ask(req);
        const b = alg.ask({ ...req, observations: req.observations.map((o) => ({ ...o })) });
        return a.length === count && JSON.stringify(a) === JSON.stringify(b) && a.every((u) => u.length === 5 && u.every((x) => x >= 0 && x <= 1));
      }),
      { numRuns: 40 },
    );
    const req = { seed: 1, batch: 3, count: 4, dims: 5, observations: observations(40, 2), pending: [] };
    t.notDeepEqual(alg.ask(req), alg.ask({ ...req, seed: 2 }), 'another seed proposes other points');
    t.notDeepEqual(alg.ask(req), alg.ask({ ...req, batch: 4 }), 'another batch proposes other points');
  });
}

test('decoded proposals stay within every distribution of the space', (t) => {
  const space = new UnitSpace({
    lr: { log_uniform: [1e-4, 1e-1], integer: false },
    width: { uniform: [8, 64], integer: true, repeat: 2 },
    act: { choice: ['relu', 'tanh'] },
    w: { uniform: [-1, 1], integer: false },
  });
  fc.assert(
    fc.property(fc.array(fc.double({ min: -0.5, max: 1.5, noNaN: true }), { minLength: 4, maxLength: 4 }), (u) => {
      const p = space.decode(u);
      const width = p.width as number[];
      return (
        (p.lr as number) >= 1e-4 && (p.lr as number) <= 1e-1 &&
        width.length === 2 && Number.isInteger(width[0]) && (width[0] as number) >= 8 && (width[0] as number) < 64 && width[0] === width[1] &&
        ['relu', 'tanh'].includes(p.act as string) && (p.w as number) >= -1 && (p.w as number) <= 1
      );
    }),
  );
  t.deepEqual(space.decode([0, 0, 0, 0]), { lr: 1e-4, width: [8, 8], act: 'relu', w: -1 });
  t.deepEqual(space.decode([1, 1, 1, 1]).act, 'tanh');
});

function drive(search: AdaptiveSearch, order: (idx: number[]) => number[]): number[][] {
  const pending: number[] = [];
  for (;;) {
    pending.push(...search.ask().map((p) => p.index));
    if (pending.length === 0) return search.proposed.map((p) => [...p.u]);
    // Finish the oldest batch, in the given order within it.
    const batch = search.proposal(pending[0] as number)?.batch;
    const now = pending.filter((i) => search.proposal(i)?.batch === batch);
    for (const i of order(now)) search.tell(i, zdtObserve(search.proposal(i)?.u ?? []));
    pending.splice(0, now.length);
  }
}

test('AdaptiveSearch: batch k waits for batches ≤ k − 2; a result told twice counts once; the budget is exact', (t) => {
  const s = new AdaptiveSearch({ algorithm: nsga2({ population: 4 }), seed: 3, budget: 23, batch: 5, dims: 3 });
  const first = s.ask();
  t.deepEqual(first.map((p) => p.index), [...Array(10).keys()], 'batches 0 and 1 at once');
  t.deepEqual(s.ask(), []);
  for (let i = 0; i < 4; i++) s.tell(i, [i, 4 - i]);
  t.deepEqual(s.ask(), [], 'batch 2 waits for the whole of batch 0');
  t.true(s.tell(4, [5, 5]));
  t.false(s.tell(4, [0, 0]), 'a second result for proposal 4 is ignored');
  t.deepEqual(s.result(4), { values: [5, 5] });
  t.false(s.tell(99, [0, 0]), 'an index never proposed is ignored');
  t.deepEqual(s.ask().map((p) => p.index), [10, 11, 12, 13, 14]);
  for (let i = 5; i < 15; i++) s.tell(i, undefined);
  const rest = s.ask();
  t.deepEqual(rest.map((p) => p.index), [15, 16, 17, 18, 19, 20, 21, 22], 'the last batch is cut to the budget');
  for (const p of rest) s.tell(p.index, [1, 1]);
  t.true(s.done);
  t.deepEqual(s.ask(), []);
});

test('AdaptiveSearch replays: the same results, told in any order, give the same proposals', (t) => {
  for (const alg of [nsga2({ population: 8 }), motpe({ startup: 6 })]) {
    const opts = { algorithm: alg, seed: 11, budget: 60, batch: 4, dims: 4 };
    const a = drive(new AdaptiveSearch(opts), (idx) => idx);
    const b = drive(new AdaptiveSearch(opts), (idx) => [...idx].reverse());
    t.is(a.length, 60);
    t.deepEqual(a, b, alg.name);
    // A coordinator restarted after 30 results: told them (shuffled), it asks the same proposals again.
    const live = new AdaptiveSearch(opts);
    drive(live, (idx) => idx);
    const restarted = new AdaptiveSearch(opts);
    const told = [...Array(30).keys()].sort((x, y) => ((x * 7) % 30) - ((y * 7) % 30));
    restarted.ask();
    for (let round = 0; round < 20; round++) {
      for (const i of told) if (restarted.proposal(i)) restarted.tell(i, live.result(i)?.values);
      restarted.ask();
    }
    t.deepEqual(restarted.proposed.map((p) => [...p.u]), a.slice(0, restarted.proposed.length), `${alg.name}: the replayed proposals`);
    t.true(restarted.proposed.length >= 30, `${alg.name}: asked past what was told`);
  }
});

test('nsga2 and motpe find a better zdt1 frontier than random search with the same budget and seed', (t) => {
  const hv = (alg: SearchAlgorithm): number => {
    const pts = drive(new AdaptiveSearch({ algorithm: alg, seed: 5, budget: 300, batch: 10, dims: 10 }), (idx) => idx);
    return hypervolume(pts.map((u) => zdtObjectives('zdt1', u)), [11, 11]);
  };
  const random = hv(randomSearch);
  t.true(hv(nsga2()) > random + 2, `nsga2 ${hv(nsga2())} vs random ${random}`);
  t.true(hv(motpe()) > random + 2, `motpe ${hv(motpe())} vs random ${random}`);
});

test('Parzen bandwidths: the normal reference rule and the neighbour gaps, hand-computed, clipped', (t) => {
  // scott: mean 0.5, s = √((0.45² + 0.25²)·2/4) = √0.1325, σ = 1.06·s·4^(−1/5) ≈ 0.29242 (> the clip 1/5).
  const s = new UnivariateParzen([0.05, 0.25, 0.75, 0.95], [1, 1, 1, 1], 'scott');
  const sigma = 1.06 * Math.sqrt(0.1325) * Math.pow(4, -0.2);
  t.true(Math.abs(sigma - 0.29242) < 1e-4);
  t.deepEqual(s.sigmas.map((x) => x.toFixed(10)), [sigma, sigma, sigma, sigma, 1].map((x) => x.toFixed(10)));
  // Crowded values: the rule's σ is below 1/min(100, n + 1) = 1/4, so the clip holds.
  t.deepEqual(new UnivariateParzen([0.5, 0.51, 0.52], [1, 1, 1], 'scott').sigmas, [0.25, 0.25, 0.25, 1]);
  // neighbors: sorted with the prior's mean, 0.1 0.3 (0.5) 0.9: gaps 0.2, max(0.2, 0.2), 0.4 (the
  // last uses its one gap); the first two are clipped up to 1/4; the prior keeps σ 1.
  t.deepEqual(new UnivariateParzen([0.1, 0.3, 0.9], [1, 1, 1], 'neighbors').sigmas.map((x) => +x.toFixed(12)), [0.25, 0.25, 0.4, 1]);
});

test('Parzen densities integrate to 1 on [0, 1] whatever the bandwidths (each kernel is normalised by its σ)', (t) => {
  // A density missing a kernel's 1/σ would weigh its components by σ (narrow ones count for less):
  // the integral would be far from 1 here, where the 30 components are narrow.
  const rng = new Rng(3);
  const values = Array.from({ length: 30 }, () => 0.3 + 0.1 * rng.next());
  const weights = values.map((_, i) => 1 + (i % 3));
  for (const bw of ['scott', 'neighbors'] as const) {
    const p = new UnivariateParzen(values, weights, bw);
    const n = 20_000;
    let integral = 0;
    for (let i = 0; i < n; i++) integral += Math.exp(p.logPdf((i + 0.5) / n)) / n;
    t.true(Math.abs(integral - 1) < 1e-3, `${bw}: ∫ = ${integral}`);
    // Sampling follows the density: the share of draws in [0.3, 0.4] is its mass there.
    let mass = 0;
    for (let i = 0; i < 2000; i++) mass += Math.exp(p.logPdf(0.3 + (i + 0.5) / 20_000)) / 20_000;
    let inside = 0;
    const draws = new Rng(9);
    for (let i = 0; i < 4000; i++) {
      const x = p.sample(draws);
      if (x >= 0.3 && x <= 0.4) inside++;
    }
    t.true(Math.abs(inside / 4000 - mass) < 0.03, `${bw}: ${inside / 4000} of draws in [0.3, 0.4], mass ${mass}`);
  }
});

test('motpe liar: a batch counts its earlier proposals as bad points, so it spreads out (nothing pending)', (t) => {
  // One coordinate; the good points crowd near 0.3: every proposal of a batch would go there.
  const observations: Observation[] = Array.from({ length: 40 }, (_, i) => {
    const u = [(i * 0.6180339887) % 1];
    return { u, values: [Math.abs((u[0] as number) - 0.3), 1 - Math.abs((u[0] as number) - 0.3) / 2] };
  });
  const req = { seed: 4, batch: 7, count: 8, dims: 1, observations, pending: [] };
  const spread = (xs: number[]): number => {
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length);
  };
  for (const multivariate of [false, true]) {
    const withLiar = motpe({ liar: true, multivariate }).ask(req).map((u) => u[0] as number);
    const without = motpe({ liar: false, multivariate }).ask(req).map((u) => u[0] as number);
    t.is(withLiar[0], without[0], `multivariate ${multivariate}: the first proposal of a batch has no liar`);
    t.true(spread(withLiar) > 1.5 * spread(without), `multivariate ${multivariate}: spread with the liar ${spread(withLiar)}, without ${spread(without)}`);
    t.deepEqual(motpe({ multivariate }).ask(req).map((u) => u[0]), withLiar, `multivariate ${multivariate}: the liar is the default`);
  }
});

test('motpe liar: in batches, proposals still running (the request\'s pending) count as bad points too', (t) => {
  // Both objectives are the distance to 0.3, so the good points are the ones nearest 0.3, and
  // proposals go there; the batch before, still running, already sits there.
  const observations: Observation[] = Array.from({ length: 40 }, (_, i) => {
    const u = [(i * 0.6180339887) % 1];
    const d = Math.abs((u[0] as number) - 0.3);
    return { u, values: [d, 2 * d] };
  });
  const running = [[0.29], [0.3], [0.3], [0.31], [0.3], [0.3]];
  const base = { batch: 9, dims: 1, observations };
  const near = (xs: number[][]): number => xs.filter((u) => Math.abs((u[0] as number) - 0.3) < 0.03).length;
  // The first proposal of a batch of `count`, over 20 seeds.
  const firsts = (o: Partial<MotpeOptions>, count: number, pending: number[][]): number[][] =>
    Array.from({ length: 20 }, (_, seed) => motpe(o).ask({ ...base, seed, count, pending })[0] as number[]);
  for (const multivariate of [false, true]) {
    const alone = near(firsts({ multivariate }, 4, []));
    const withRunning = near(firsts({ multivariate }, 4, running));
    t.true(alone >= 10, `multivariate ${multivariate}: with nothing running, ${alone} of 20 first proposals within 0.03 of 0.3`);
    t.true(withRunning < alone / 2, `multivariate ${multivariate}: with the batch before running there, ${withRunning} of 20 (${alone} with none running)`);
    t.deepEqual(firsts({ multivariate, liar: false }, 4, running), firsts({ multivariate, liar: false }, 4, []), `multivariate ${multivariate}: without the liar, pending points change nothing`);
    t.deepEqual(firsts({ multivariate }, 1, running.slice(0, 1)), firsts({ multivariate }, 1, []), `multivariate ${multivariate}: with one proposal per batch, the running one is not counted`);
  }
});
