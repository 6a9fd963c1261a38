import test from 'ava';
import fc from 'fast-check';
import { parseSpecText, planTrials, drawSamples, SpecError } from '../coordinator/index.js';
import { canonicalJson } from '../proto/index.js';

/** The random search of Arjovsky et al.'s Colored MNIST hyperparameters (reproduce_paper_results.sh). */
const paperSearch = `
name: irm-search
method: irm
dataset: { name: spurious, n: 400 }
params: { steps: 20 }
grid:
  penalty_anneal_iters: [0, 10]
search:
  samples: 50
  seed: 7
  space:
    hidden: { log_uniform: [64, 512], integer: true, repeat: 2 }
    l2: { log_uniform: [1.0e-5, 1.0e-2] }
    lr: { log_uniform: [3.1622776e-4, 3.1622776e-3] }
    penalty_weight: { log_uniform: [100, 1.0e6] }
seeds: [0, 1]
objectives:
  - { metric: test/accuracy, goal: max }
`;

function specError(t: import('ava').ExecutionContext, text: string): SpecError {
  return t.throws(() => parseSpecText(text), { instanceOf: SpecError }) as SpecError;
}

test('a search draws its samples within the ranges, crossed with the grid and the seeds', (t) => {
  const s = parseSpecText(paperSearch);
  t.is(s.samples.length, 50);
  t.is(s.trials, 2 * 50 * 2);
  for (const p of s.samples) {
    const hidden = p.hidden as number[];
    t.is(hidden.length, 2);
    t.is(hidden[0], hidden[1]);
    t.true(Number.isInteger(hidden[0]) && (hidden[0] as number) >= 64 && (hidden[0] as number) < 512);
    t.true((p.l2 as number) >= 1e-5 && (p.l2 as number) < 1e-2);
    t.true((p.penalty_weight as number) >= 100 && (p.penalty_weight as number) < 1e6);
  }
  const trials = planTrials('sw', s.grid, s.params, s.seeds, s.samples);
  t.is(trials.length, s.trials);
  t.is(new Set(trials.map((x) => x.id)).size, trials.length, 'every trial has its own id');
  // Seeds vary fastest, then samples, then the grid.
  t.deepEqual(trials.slice(0, 2).map((x) => x.seed), [0, 1]);
  t.is(trials[0]?.params.l2, s.samples[0]?.l2);
  t.is(trials[2]?.params.l2, s.samples[1]?.l2);
  t.is(trials[0]?.params.penalty_anneal_iters, 0);
  t.is(trials[100]?.params.penalty_anneal_iters, 10);
  t.is(trials[100]?.params.l2, s.samples[0]?.l2);
  t.is(trials[0]?.params.steps, 20);
});

test('log-uniform draws spread evenly over the decades, not over the values', (t) => {
  const s = drawSamples({ samples: 4000, seed: 1, space: { x: { log_uniform: [1e-5, 1e-1], integer: false } } });
  const decades = [0, 0, 0, 0];
  for (const p of s) decades[Math.floor(Math.log10(p.x as number) + 5)]! += 1;
  for (const d of decades) t.true(Math.abs(d - 1000) < 120, `decade counts ${decades.join(', ')}`);
});

test('the same search draws the same points; another sampler seed draws others', (t) => {
  const a = parseSpecText(paperSearch).samples;
  t.deepEqual(parseSpecText(paperSearch).samples, a);
  const b = parseSpecText(paperSearch.replace('seed: 7', 'seed: 8')).samples;
  t.notDeepEqual(a, b);
});

test('choice and integer uniform draws cover their values; points are distinct', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 12 }), (seed, samples) => {
      const s = drawSamples({ samples, seed, space: { k: { choice: ['a', 'b', 'c'] }, n: { uniform: [0, 4], integer: true } } });
      const keys = s.map((p) => canonicalJson(p));
      return new Set(keys).size === samples && s.every((p) => ['a', 'b', 'c'].includes(p.k as string) && [0, 1, 2, 3].includes(p.n as number));
    }),
  );
  t.pass();
});

test('a space smaller than the samples asked for is a clear error', (t) => {
  const err = t.throws(() => drawSamples({ samples: 13, seed: 0, space: { k: { choice: ['a', 'b', 'c'] }, n: { uniform: [0, 4], integer: true } } }), { instanceOf: SpecError });
  t.regex(err?.message ?? '', /^search\.samples: 13 distinct points wanted, but 260 draws gave only 12/);
});

test('bad distributions name the key and what is wrong', (t) => {
  const withSpace = (line: string): string => paperSearch.replace(/ {4}l2: .*\n/, `    ${line}\n`);
  t.regex(specError(t, withSpace('l2: { log_uniform: [0, 1.0e-2] }')).message, /search\.space\.l2: log_uniform needs low > 0, got 0/);
  t.regex(specError(t, withSpace('l2: { uniform: [1, 1] }')).message, /search\.space\.l2: expected low < high, got \[1, 1\]/);
  t.regex(specError(t, withSpace('l2: { uniform: [0.1, 0.9], integer: true }')).message, /search\.space\.l2: integer: no integer in \[0\.1, 0\.9\)/);
  t.regex(specError(t, withSpace('l2: { gaussian: [0, 1] }')).message, /search\.space\.l2: expected a distribution: \{uniform: \[low, high\]\}/);
  t.regex(specError(t, withSpace('l2: { uniform: [0, "x"] }')).message, /search\.space\.l2\.uniform\[1\]: expected a number, got "x"/);
  t.regex(specError(t, withSpace('l2: { choice: [] }')).message, /search\.space\.l2\.choice: expected a non-empty list/);
  t.regex(specError(t, withSpace('Bad-Key: { choice: [1] }')).message, /search\.space\.Bad-Key/);
  t.regex(specError(t, paperSearch.replace('samples: 50', 'samples: 0')).message, /search\.samples/);
  t.regex(specError(t, paperSearch.replace('  space:\n', '  space: {}\n  unused:\n')).message, /search\./);
});

test('a sampled key cannot also be fixed or swept', (t) => {
  t.regex(specError(t, paperSearch.replace('params: { steps: 20 }', 'params: { steps: 20, l2: 0.1 }')).message, /search\.space\.l2: also set in params\.l2/);
  t.regex(specError(t, paperSearch.replace('penalty_anneal_iters: [0, 10]', 'lr: [0.1, 0.2]')).message, /search\.space\.lr: also in grid\.lr/);
});

test('a sampled value outside the method\'s range names the key and the sample', (t) => {
  const err = specError(t, paperSearch.replace(/ {4}lr: .*\n/, '    lr: { uniform: [-1, 1] }\n'));
  t.regex(err.message, /search\.space\.lr \(sample \d+: -?[\d.e-]+\)/);
});

test('the trial limit counts samples', (t) => {
  const err = t.throws(() => parseSpecText(paperSearch, { maxTrials: 150 }), { instanceOf: SpecError });
  t.regex(err?.message ?? '', /200 trials \(penalty_anneal_iters: 2 × 50 samples × 2 seeds\) exceeds this coordinator's limit of 150/);
});
