import test from 'ava';
import { getMethod } from '../catalog/index.js';
import { loadMethod } from '../worker/index.js';
import { zdtObjectives, zdtTrueFront } from '../worker/methods/zdt-problems.js';
import { hypervolume } from '../coordinator/search/index.js';
import type { Params } from '../proto/index.js';

async function run(params: Params): Promise<Record<string, number>> {
  const impl = await loadMethod('zdt');
  if (!impl) throw new Error('zdt not registered');
  const out = await impl.run(
    { trialId: 't', sweepId: 's', params, seed: 0, dataset: { name: '', options: {} }, attempt: 1 },
    { signal: new AbortController().signal, heartbeat: () => undefined, backend: () => Promise.reject(new Error('no backend')) },
  );
  return out.metrics;
}

const close = (a: number, b: number, tol = 1e-12): boolean => Math.abs(a - b) <= tol;

test('zdt1, zdt2, zdt3 values at hand-computed points', (t) => {
  // g = 1 on the front: f2 = 1 − √f1, 1 − f1², 1 − √f1 − f1·sin(10π f1).
  t.deepEqual(zdtObjectives('zdt1', [0.25, 0, 0]), [0.25, 0.5]);
  t.deepEqual(zdtObjectives('zdt2', [0.5, 0, 0]), [0.5, 0.75]);
  const [, z3] = zdtObjectives('zdt3', [0.05, 0]);
  t.true(close(z3 as number, 1 - Math.sqrt(0.05) - 0.05 * Math.sin(0.5 * Math.PI)));
  // g = 1 + 9·mean(x1 … ) = 1 + 9·(1 + 0)/2 = 5.5.
  const [f1, f2] = zdtObjectives('zdt1', [0.4, 1, 0]);
  t.is(f1, 0.4);
  t.true(close(f2 as number, 5.5 * (1 - Math.sqrt(0.4 / 5.5))));
});

test('dtlz2 values: corners of the sphere, and the distance variables scale it by 1 + g', (t) => {
  const c = zdtObjectives('dtlz2', [0, 0, 0.5, 0.5], 3);
  t.true(close(c[0] as number, 1) && close(c[1] as number, 0) && close(c[2] as number, 0), c.join(','));
  const top = zdtObjectives('dtlz2', [1, 0.3, 0.5], 3);
  t.true(close(top[2] as number, 1) && Math.abs(top[0] as number) < 1e-12, top.join(','));
  // x0 = x1 = ½ and g = 2·0.5² = 0.5: every objective scaled by 1.5 from the sphere's point.
  const p = zdtObjectives('dtlz2', [0.5, 0.5, 0, 1], 3);
  t.true(close(Math.hypot(...p), 1.5), p.join(','));
  t.true(close(p[0] as number, 1.5 * 0.5) && close(p[2] as number, 1.5 * Math.SQRT1_2));
  const two = zdtObjectives('dtlz2', [0.5, 0.5, 0.5], 2);
  t.is(two.length, 2);
  t.true(close(two[0] as number, Math.SQRT1_2) && close(two[1] as number, Math.SQRT1_2));
});

test('the true fronts have the known hypervolumes at the standard reference points', (t) => {
  // ZDT, reference (11, 11): 121 − ∫₀¹ front; ∫(1 − √f) = 1/3, ∫(1 − f²) = 2/3.
  t.true(close(hypervolume(zdtTrueFront('zdt1', 20_001), [11, 11]), 121 - 1 / 3, 1e-4));
  t.true(close(hypervolume(zdtTrueFront('zdt2', 20_001), [11, 11]), 121 - 2 / 3, 1e-4));
  // ZDT1 at (1.1, 1.1): 1.21 − 0.1·1.1 − 1/3 … computed piecewise: 1.1 − 1/3 + 0.11.
  t.true(close(hypervolume(zdtTrueFront('zdt1', 20_001), [1.1, 1.1]), 1.1 - 1 / 3 + 0.11, 1e-4));
  // ZDT3's disconnected front: a finer sampling changes the value by less than 1e-4.
  const z3 = hypervolume(zdtTrueFront('zdt3', 20_001), [11, 11]);
  t.true(close(z3, hypervolume(zdtTrueFront('zdt3', 100_001), [11, 11]), 1e-4), String(z3));
  t.true(close(z3, 128.7781, 1e-3), String(z3)); // 128.7781, from 100,001 points of the front
  // DTLZ2 (3 objectives), reference 1.1³: the cube less the unit sphere's octant, π/6.
  const coarse = hypervolume(zdtTrueFront('dtlz2', 50, 3), [1.1, 1.1, 1.1]);
  const d = hypervolume(zdtTrueFront('dtlz2', 100, 3), [1.1, 1.1, 1.1]);
  t.true(close(d, 1.331 - Math.PI / 6, 1e-2), String(d));
  t.true(coarse < d && d < 1.331 - Math.PI / 6, 'sampled points dominate less than the continuous front, more as they get denser');
});

test('the zdt method reports f1, f2 (f3 for dtlz2) from its x params', async (t) => {
  t.deepEqual(await run({ problem: 'zdt1', x0: 0.25, x1: 0, x2: 0 }), { f1: 0.25, f2: 0.5 });
  const m = await run({ problem: 'dtlz2', x0: 0, x1: 0, x2: 0.5, x3: 0.5 });
  t.deepEqual(Object.keys(m), ['f1', 'f2', 'f3']);
  t.deepEqual(Object.keys(await run({ problem: 'dtlz2', n_obj: 2, x0: 0, x1: 0.5 })), ['f1', 'f2']);
});

test('zdt params: the catalog names the bad key', (t) => {
  const schema = getMethod('zdt')?.params;
  if (!schema) return t.fail('zdt not in the catalog');
  const issue = (p: Params): string => {
    const r = schema.safeParse(p);
    return r.success ? 'ok' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  };
  t.is(issue({ problem: 'zdt1', x0: 0.1, x1: 0.2 }), 'ok');
  t.regex(issue({ problem: 'zdt1', x0: 0.1, x1: 1.5 }), /^x1: expected a value in \[0, 1\]/);
  t.regex(issue({ problem: 'zdt1', x0: 0.1, x2: 0.5 }), /x1: missing: 2 variables must be x0 … x1/);
  t.regex(issue({ problem: 'zdt1', x0: 0.1 }), /needs at least 2 variables/);
  t.regex(issue({ problem: 'zdt1', x0: 0.1, x1: 0, n_obj: 3 }), /n_obj: only dtlz2 takes n_obj/);
  t.regex(issue({ problem: 'dtlz2', x0: 0.1, x1: 0 }), /dtlz2 needs at least 3 variables/);
  t.regex(issue({ problem: 'zdt9', x0: 0.1, x1: 0 }), /^problem:/);
  t.regex(issue({ problem: 'zdt1', x0: 0.1, x1: 0, y: 0.5 }), /y: unknown zdt param/);
});

test('a zdt trial with bad params fails with the key in its message', async (t) => {
  await t.throwsAsync(run({ problem: 'zdt2', x0: 0.5, x1: -0.1 }), { message: /invalid params: x1: expected a value in \[0, 1\]/ });
});
