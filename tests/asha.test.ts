import test from 'ava';
import { Asha, rungOf, rungStep, type AshaDecision } from '../coordinator/early-stop/index.js';

const kinds = (ds: AshaDecision[]): string[] => ds.map((d) => (d.kind === 'ignored' ? 'ignored' : `${d.kind}@${d.rung}`));

test('rungs sit at min_steps·η^r; a step counts for the highest rung it reached, capped by max_rungs', (t) => {
  const c = { minSteps: 10, reductionFactor: 3 };
  t.deepEqual([9, 10, 29, 30, 89, 90, 270].map((s) => rungOf(s, c)), [-1, 0, 0, 1, 1, 2, 3]);
  t.deepEqual([30, 90, 270].map((s) => rungOf(s, { ...c, maxRungs: 2 })), [1, 1, 1]);
  t.deepEqual([0, 1, 2].map((r) => rungStep(r, c)), [10, 30, 90]);
});

test('ASHA, one metric maximised (η = 3): a report goes on only in the top max(1, ⌊n/η⌋) of its rung so far, ties included', (t) => {
  const a = new Asha({ minSteps: 10, reductionFactor: 3, goals: ['max'] });
  const d = [
    a.report('t1', 10, [0.5]), // n=1, k=1: best so far
    a.report('t2', 10, [0.4]), // n=2, k=1: 0.4 < 0.5
    a.report('t3', 10, [0.6]), // n=3, k=1: new best
    a.report('t4', 10, [0.55]), // n=4, k=1: below 0.6
    a.report('t5', 10, [0.5]), // n=5, k=1
    a.report('t6', 10, [0.58]), // n=6, k=2: 2nd best is 0.58 itself
    a.report('t7', 10, [0.58]), // n=7, k=2: ties the 2nd best (0.6, 0.58, 0.58): goes on
    a.report('t8', 10, [NaN]), // n=8, k=2: a non-finite value ranks last
    a.report('t1', 20, [0.9]), // rung 0 again for t1: not counted
    a.report('t1', 35, [0.7]), // rung 1 (step 30 passed): first there
    a.report('t3', 30, [0.65]), // rung 1, n=2, k=1: below 0.7
    a.report('t2', 30, [0.99]), // t2 was stopped: not counted
    a.report('t9', 5, [1]), // below the first rung
    a.report('t6', 95, [0.8]), // skips to rung 2: first there
  ];
  t.deepEqual(kinds(d), ['continue@0', 'stop@0', 'continue@0', 'stop@0', 'stop@0', 'continue@0', 'continue@0', 'stop@0', 'ignored', 'continue@1', 'stop@1', 'ignored', 'ignored', 'continue@2']);
  t.is(a.count(0), 8);
  t.is(a.count(1), 2);
  t.true(a.isStopped('t3'));
  t.false(a.isStopped('t6'));
});

test('ASHA with a metric minimised ranks the smallest first', (t) => {
  const a = new Asha({ minSteps: 1, reductionFactor: 2, goals: ['min'] });
  t.deepEqual(kinds([a.report('a', 1, [0.3]), a.report('b', 1, [0.2]), a.report('c', 1, [0.25]), a.report('d', 1, [0.1])]), ['continue@0', 'continue@0', 'stop@0', 'continue@0']);
  // c: n=3, k=1, best 0.2; d: n=4, k=2: 0.1 best.
});

test('MO-ASHA (two metrics maximised, η = 2): non-dominated rank, then crowding distance, then arrival', (t) => {
  const a = new Asha({ minSteps: 10, reductionFactor: 2, goals: ['max', 'max'] });
  const d = [
    a.report('a', 10, [0.5, 0.5]), // n=1, k=1
    a.report('b', 10, [0.6, 0.6]), // n=2, k=1: b dominates a
    a.report('c', 10, [0.4, 0.4]), // n=3, k=1: fronts {b} {a} {c}
    a.report('d', 10, [0.7, 0.3]), // n=4, k=2: front 0 = {b, d}
    // n=5, k=2: front 0 = {b, d, e}; crowding: d and e are the extremes of both metrics (∞), b gets
    // (0.7-0.3)/0.4 + (0.7-0.3)/0.4 = 2: the first two are d and e, so e goes on.
    a.report('e', 10, [0.3, 0.7]),
    a.report('f', 10, [0.45, 0.45]), // n=6, k=3: f is dominated by b (front 1)
    // n=7, k=3: g equals b, front 0 = {b, d, e, g}. Per metric, sorted with b before g (arrival):
    // b's neighbours are d and g (gap 0.1 over the range 0.4), g's are b and e (0.3): crowding b
    // 0.25 + 0.25, g 0.75 + 0.75; the first three are d, e (∞) and g.
    a.report('g', 10, [0.6, 0.6]),
    a.report('h', 10, [0.2, 0.2]), // n=8, k=4: front 0 holds four already; h is in the last front
  ];
  t.deepEqual(kinds(d), ['continue@0', 'continue@0', 'stop@0', 'continue@0', 'continue@0', 'stop@0', 'continue@0', 'stop@0']);
});

test('MO-ASHA: a report equal to a kept one goes on whatever its arrival; a different one is still ranked', (t) => {
  const a = new Asha({ minSteps: 10, reductionFactor: 3, goals: ['max', 'max'] });
  const plateau = [0.531, 0.854];
  const d = [
    a.report('a', 10, plateau), // n=1, k=1
    a.report('b', 10, plateau), // n=2, k=1: a is first (arrival), b has a's values: goes on
    a.report('c', 10, [0.53, 0.85]), // n=3, k=1: dominated by a and b
    a.report('d', 10, plateau), // n=4, k=1: equal to a
    a.report('e', 10, [0.6, 0.86]), // n=5, k=1: dominates the plateau, first
    a.report('f', 10, plateau), // n=6, k=2: kept {e, a}: equal to a
    a.report('g', 10, [0.52, 0.9]), // n=7, k=2: front 0 {e, g} (g's trainval is the largest)
    a.report('h', 10, plateau), // n=8, k=2: kept {e, g}: the plateau is dominated by e, stopped
  ];
  t.deepEqual(kinds(d), ['continue@0', 'continue@0', 'stop@0', 'continue@0', 'continue@0', 'continue@0', 'continue@0', 'stop@0']);
});

test('a metric and goal mismatch is refused; the same reports in the same order give the same decisions', (t) => {
  const cfg = { minSteps: 2, reductionFactor: 3, goals: ['max', 'min'] as const };
  t.throws(() => new Asha({ ...cfg, goals: [...cfg.goals] }).report('x', 2, [1]), { instanceOf: RangeError });
  let x = 12345;
  const rand = (): number => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const reports = Array.from({ length: 200 }, () => ({ id: `t${Math.floor(rand() * 40)}`, step: 1 + Math.floor(rand() * 60), v: [rand(), rand()] }));
  const run = (): string[] => {
    const a = new Asha({ ...cfg, goals: [...cfg.goals] });
    return kinds(reports.map((r) => a.report(r.id, r.step, r.v)));
  };
  const first = run();
  t.deepEqual(run(), first);
  t.true(first.some((k) => k.startsWith('stop')) && first.some((k) => k.startsWith('continue')));
});
