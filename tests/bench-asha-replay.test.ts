import test from 'ava';
import { replay, type TraceFile } from '../bench/asha-replay.js';

/** Trials whose values at every step are their final values scaled by step/steps: early ranks hold. */
function predictable(n: number): TraceFile {
  const steps = 60;
  const trials = Array.from({ length: n }, (_, i) => {
    const q = ((i * 37) % n) / n;
    const final = [0.2 + 0.7 * q, 0.3 + 0.6 * q];
    const reports = Array.from({ length: steps / 6 - 1 }, (_, k) => [(k + 1) * 6, ...final.map((v) => (v * (k + 1) * 6) / steps)]);
    return { params: { i }, reports, final };
  });
  return { seed: 0, steps, hiddenMax: 64, evalEvery: 6, objectives: ['a', 'b'], trials };
}

test('ASHA replay: where early values rank final ones, pruning buys more trials within the budget', (t) => {
  const trace = predictable(60);
  const r = replay(trace, 6, 3, 16, 0.4);
  t.true(r.stepsRatio <= 0.4, `steps ratio ${r.stepsRatio}`);
  t.true(r.started > 16 * 0.4, `${r.started} started: more than the budget's full-length trials`);
  t.true(r.pruned > 0);
  // The target the Colored MNIST space misses: at least random search's hypervolume within 40 % of its steps.
  t.true(r.hvAsha >= r.hvRandom, `hypervolume ${r.hvAsha} against random search's ${r.hvRandom}`);
  // With no rung before the last step nothing is pruned: the budget pays for 6 full trials of 16.
  const none = replay(trace, 60, 3, 16, 0.4);
  t.is(none.pruned, 0);
  t.is(none.started, 6);
  t.true(none.hvAsha <= r.hvRandom);
});

test('ASHA replay: pruned trials are not counted, the random baseline is the first points, bad schedules named', (t) => {
  // Trial values at the rungs rank final values backwards: the trial best at the end is pruned.
  const trace = predictable(20);
  for (const trial of trace.trials) for (const rep of trial.reports) for (let j = 1; j < rep.length; j++) rep[j] = 1 - (rep[j] as number);
  const r = replay(trace, 6, 3, 16, 0.4);
  t.true(r.hvAsha < r.hvRandom);
  t.throws(() => replay(trace, 10, 3, 16, 0.4), { message: /min_steps 10 is not a multiple of the recorded step 6/ });
  t.throws(() => replay(trace, 6, 3, 32, 0.4), { message: /20 trials recorded, random search needs 32/ });
});

test('ASHA replay: the recorded curves give bench/asha.ts figures (min_steps 18, eta 3; docs/benchmarks.md, seeds 0-4)', async (t) => {
  const { readFile } = await import('node:fs/promises');
  // Seed: hypervolume ratio, steps ratio, trials started, pruned, as bench/asha.ts measured them.
  const bench: [number, number, number, number, number][] = [
    [0, 0.973, 0.34, 7, 2],
    [1, 0.906, 0.34, 7, 2],
    [2, 0.876, 0.375, 12, 9],
    [3, 0.955, 0.361, 10, 5],
    [4, 0.986, 0.375, 6, 0],
  ];
  for (const [seed, hv, steps, started, pruned] of bench) {
    const trace = JSON.parse(await readFile(new URL(`../../docs/results/asha-traces/seed-${seed}.json`, import.meta.url), 'utf8')) as TraceFile;
    const r = replay(trace, 18, 3, 16, 0.4);
    t.is(Number((r.hvAsha / r.hvRandom).toFixed(3)), hv, `seed ${seed}`);
    t.is(Number(r.stepsRatio.toFixed(3)), steps, `seed ${seed}`);
    t.deepEqual([r.started, r.pruned], [started, pruned], `seed ${seed}`);
    t.false(r.outOfTrials);
  }
});
