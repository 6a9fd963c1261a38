import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parseSpecText, validateSpec, planTrials, planShards, trialId, expandGrid, defaultShardSize, SpecError, type Axis } from '../coordinator/index.js';
import { canonicalJson, type Param } from '../proto/index.js';
import { closestMatch } from '../coordinator/spec/suggest.js';

const base = `
name: irm-spurious
method: irm
dataset: { name: spurious, n: 400 }
params: { steps: 30, lr: 0.001 }
grid:
  penalty_weight: [0, 1, 10]
seeds: [0, 1]
objectives:
  - { metric: test/accuracy, goal: max }
  - { metric: test/demographic_parity_difference, goal: min }
`;

function specError(t: import('ava').ExecutionContext, text: string): SpecError {
  const err = t.throws(() => parseSpecText(text), { instanceOf: SpecError });
  return err as SpecError;
}

test('a valid spec parses with defaults filled', (t) => {
  const s = parseSpecText(base);
  t.is(s.name, 'irm-spurious');
  t.is(s.method, 'irm');
  t.deepEqual(s.grid, [['penalty_weight', [0, 1, 10]]]);
  t.deepEqual(s.seeds, [0, 1]);
  t.is(s.trials, 6);
  t.is(s.maxAttempts, 3);
  t.deepEqual(s.dataset, { name: 'spurious', options: { n: 400 } });
});

test('a wrong grid value names its path and what was expected', (t) => {
  const err = specError(t, base.replace('[0, 1, 10]', '[0, 1, "abc"]'));
  t.regex(err.message, /grid\.penalty_weight\[2\]: expected a number, got "abc"/);
});

test('unknown top-level keys, wrong types and empty lists are rejected with paths', (t) => {
  t.regex(specError(t, `${base}\nbogus: 1\n`).message, /bogus: unknown key/);
  t.regex(specError(t, base.replace('seeds: [0, 1]', 'seeds: []')).message, /seeds: expected a non-empty list/);
  t.regex(specError(t, base.replace('[0, 1, 10]', '[]')).message, /grid\.penalty_weight: expected a non-empty list/);
  t.regex(specError(t, base.replace('name: irm-spurious', 'name: Bad_Name')).message, /^name: /);
  t.regex(specError(t, base.replace('goal: max', 'goal: up')).message, /objectives\[0\]\.goal: expected one of "max", "min", got "up"/);
  t.regex(specError(t, base.replace('seeds: [0, 1]', 'seeds: [0, 1.5]')).message, /seeds\[1\]/);
  t.regex(specError(t, base.replace('shard_size', 'x').concat('shard_size: 0\n')).message, /shard_size/);
});

test('a misspelt key gets "did you mean" at every level: top level, objective, method params, dataset options, grid and search keys', (t) => {
  const cases: [string, RegExp][] = [
    [base.replace('seeds:', 'seed:'), /^seed: unknown key; did you mean "seeds"\?/],
    [base.replace('objectives:', 'objective:'), /^objective: unknown key; did you mean "objectives"\?/],
    [base.replace('{ metric: test/accuracy', '{ metirc: test/accuracy'), /^objectives\[0\]\.metirc: unknown key; did you mean "metric"\?/],
    [base.replace('lr: 0.001', 'lrr: 0.001'), /^params\.lrr: unknown parameter of method "irm"; did you mean "lr"\?/],
    [base.replace('n: 400', 'sigma_cc: 1'), /^dataset\.sigma_cc: unknown option of dataset "spurious"; did you mean "sigma_c"\?/],
    [base.replace('name: spurious', 'name: spurios'), /^dataset\.name: method "irm" does not support dataset "spurios"; did you mean "spurious"\?/],
    [base.replace('method: irm', 'method: irn'), /^method: unknown method "irn"; did you mean "irm"\? registered methods: /],
    [base.replace('grid:\n  penalty_weight', 'grid:\n  penalty_weigth'), /^grid\.penalty_weigth: unknown parameter of method "irm"; did you mean "penalty_weight"\?$/],
    [base.replace('grid:\n  penalty_weight: [0, 1, 10]', 'search: { samples: 2, space: { penalty_wieght: { uniform: [0, 10] } } }'), /^search\.space\.penalty_wieght: unknown parameter of method "irm"; did you mean "penalty_weight"\?$/],
  ];
  for (const [text, re] of cases) t.regex(specError(t, text).message, re);
  // Nothing close: the accepted names are listed instead of a guess.
  t.regex(specError(t, base.replace('lr: 0.001', 'warp: 9')).message, /^params\.warp: unknown parameter of method "irm" \(expected one of: steps, lr, l2, hidden, eval_every, penalty_weight, penalty_anneal_iters\)$/);
  t.regex(specError(t, `${base}zzz: 1\n`).message, /^zzz: unknown key \(expected one of: name, method, dataset, params, grid/);
});

test('a misspelt grid key is reported once, not once per value', (t) => {
  const err = specError(t, base.replace('grid:\n  penalty_weight: [0, 1, 10]', 'grid:\n  penalty_weigth: [0, 1, 10, 100]\n  lr: [0.1, 0.2]').replace('lr: 0.001', 'l2: 0'));
  t.deepEqual(err.issues.map((i) => i.path), ['grid.penalty_weigth']);
});

test('closestMatch suggests only plausible misspellings', (t) => {
  t.is(closestMatch('nmae', ['name', 'method']), 'name', 'a swapped pair');
  t.is(closestMatch('Seeds', ['seeds']), 'seeds', 'case');
  t.is(closestMatch('x', ['lr', 'd']), undefined, 'one letter is no evidence');
  t.is(closestMatch('batch_size', ['steps', 'lr', 'hidden']), undefined);
  t.is(closestMatch('shard-size', ['shard_size', 'max_attempts']), 'shard_size');
});

test('missing required keys are named', (t) => {
  t.regex(specError(t, 'name: x\nmethod: sleep\n').message, /objectives: required/);
  t.regex(specError(t, 'method: sleep\nobjectives: [{metric: score, goal: max}]\n').message, /name: required/);
});

test('unknown method and unsupported dataset are rejected', (t) => {
  t.regex(specError(t, base.replace('method: irm', 'method: magic')).message, /method: unknown method "magic"; registered methods: .*sleep/);
  t.regex(specError(t, base.replace('name: spurious', 'name: imagenet')).message, /dataset\.name: method "irm" does not support dataset "imagenet"/);
  t.regex(specError(t, 'name: s\nmethod: sleep\ndataset: {name: spurious}\nobjectives: [{metric: score, goal: max}]\n').message, /dataset: method "sleep" takes no dataset/);
  t.regex(specError(t, base.replace(/dataset:.*\n/, '')).message, /dataset: required by method "irm"/);
});

test('method params are checked per grid value and named by path', (t) => {
  t.regex(specError(t, base.replace('[0, 1, 10]', '[0, -1, 10]')).message, /grid\.penalty_weight\[1\]/);
  t.regex(specError(t, base.replace('lr: 0.001', 'lr: "fast"')).message, /params\.lr/);
  t.regex(specError(t, base.replace('lr: 0.001', 'lr: 0.001, warp: 9')).message, /params\.warp/);
});

test('bad YAML reports the line', (t) => {
  t.regex(specError(t, 'name: x\nmethod: [sleep\n').message, /invalid YAML at line \d+, column \d+/);
  t.regex(specError(t, 'name: x\nname: y\n').message, /invalid YAML/);
  t.regex(specError(t, '- a\n- b\n').message, /expected a mapping/);
});

test('duplicate grid values, duplicate seeds and keys both fixed and swept are rejected', (t) => {
  t.regex(specError(t, base.replace('[0, 1, 10]', '[0, 1, 1]')).message, /grid\.penalty_weight\[2\]: duplicate of grid\.penalty_weight\[1\]/);
  t.regex(specError(t, base.replace('seeds: [0, 1]', 'seeds: [3, 3]')).message, /seeds\[1\]: duplicate seed 3/);
  t.regex(specError(t, base.replace('steps: 30', 'steps: 30, penalty_weight: 2')).message, /grid\.penalty_weight: also set in params\.penalty_weight/);
});

test('grids over the size limit are rejected before expansion', (t) => {
  const big = `name: big\nmethod: sleep\ngrid:\n  a: { linspace: [0, 1, 1000] }\n  b: { linspace: [0, 1, 1000] }\nobjectives: [{metric: score, goal: max}]\n`;
  const err = t.throws(() => parseSpecText(big, { maxTrials: 100_000 }), { instanceOf: SpecError });
  t.regex(err!.message, /grid: 1000000 trials .* exceeds this coordinator's limit of 100000/);
  t.is(parseSpecText(big, { maxTrials: 2_000_000 }).trials, 1_000_000);
});

test('the grid expresses coefficient vectors, products of per-vector lists, LoRA ranks and IRM penalties', (t) => {
  const s = validateSpec({
    name: 'axes',
    method: 'sleep',
    grid: {
      coefficients: [[0.5, 0.5], [1, -0.5]],
      mix: { product: [[0, 1], [-1, 1]] },
      lora_rank: [1, 2, 4, 8, 16],
      penalty_weight: { linspace: [0, 1, 3] },
    },
    objectives: [{ metric: 'score', goal: 'max' }],
  });
  t.deepEqual(s.grid[1], ['mix', [[0, -1], [0, 1], [1, -1], [1, 1]]]);
  t.deepEqual(s.grid[3], ['penalty_weight', [0, 0.5, 1]]);
  t.is(s.trials, 2 * 4 * 5 * 3);
});

const paramArb: fc.Arbitrary<Param> = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom('a', 'b', 'c'), fc.boolean(), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }));
const axesArb: fc.Arbitrary<Axis[]> = fc
  .uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'lr', 'rank'), { minLength: 0, maxLength: 4 })
  .chain((keys) => fc.tuple(...keys.map((k) => fc.uniqueArray(paramArb, { minLength: 1, maxLength: 4, selector: canonicalJson }).map((vs) => [k, vs] as const))))
  .map((axes) => axes as Axis[]);

test('property: the grid is the full cross product, every point once', (t) => {
  fc.assert(
    fc.property(axesArb, (axes) => {
      const points = [...expandGrid(axes, { fixed: 1 })];
      const expected = axes.reduce((n, [, v]) => n * v.length, 1);
      if (points.length !== expected) return false;
      const keys = new Set(points.map((p) => canonicalJson(p)));
      if (keys.size !== expected) return false;
      return points.every((p) => p.fixed === 1 && axes.every(([k, vs]) => vs.some((v) => canonicalJson(v) === canonicalJson(p[k]))));
    }),
  );
  t.pass();
});

test('property: trial ids are deterministic, unique per (params, seed), independent of key order, and differ across sweeps', (t) => {
  fc.assert(
    fc.property(axesArb, fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 3 }), (axes, seeds) => {
      const a = planTrials('sweep-a', axes, {}, seeds);
      const again = planTrials('sweep-a', axes, {}, seeds);
      const other = planTrials('sweep-b', axes, {}, seeds);
      if (a.length !== again.length || a.some((tr, i) => tr.id !== again[i]!.id)) return false;
      if (new Set(a.map((x) => x.id)).size !== a.length) return false;
      if (a.some((tr, i) => tr.id === other[i]!.id)) return false;
      // Key order does not change the id.
      return a.every((tr) => {
        const reversed = Object.fromEntries(Object.entries(tr.params).reverse());
        return trialId('sweep-a', reversed, tr.seed) === tr.id && /^t[0-9a-f]{24}$/.test(tr.id);
      });
    }),
  );
  t.pass();
});

test('property: shards partition the trials in order', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 50 }), (n, size) => {
      const trials = planTrials('s', [['x', Array.from({ length: n }, (_, i) => i)]], {}, [0]).slice(0, n);
      const shards = planShards('s', trials, size);
      const flat = shards.flatMap((s) => s.trials.map((x) => x.id));
      return flat.length === trials.length && flat.every((id, i) => id === trials[i]!.id) && shards.every((s) => s.trials.length <= size && s.trials.length > 0) && new Set(shards.map((s) => s.id)).size === shards.length;
    }),
  );
  t.is(defaultShardSize(10), 1);
  t.is(defaultShardSize(2000), 1);
  t.is(defaultShardSize(10_000), 9);
  t.is(defaultShardSize(10_000_000), 64);
});

test('every example spec in examples/ is valid', (t) => {
  const dir = fileURLToPath(new URL('../../examples/', import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  t.true(files.length >= 8, `examples found: ${files.join(', ')}`);
  for (const f of files) {
    const s = parseSpecText(readFileSync(join(dir, f), 'utf8'));
    t.true(s.trials > 0, f);
  }
});

test('objectives take an aggregate (default mean); selection names a DomainBed method; test objectives without one warn', (t) => {
  const s = parseSpecText(base);
  t.deepEqual(s.objectives.map((o) => o.aggregate), ['mean', 'mean']);
  t.is(s.selection, undefined);
  t.is(s.warnings.length, 1);
  t.regex(s.warnings[0] ?? '', /test\/accuracy, test\/demographic_parity_difference are test metrics and the spec names no selection/);
  const td = parseSpecText(base.replace('- { metric: test/accuracy, goal: max }', '- { metric: test/accuracy, goal: max, aggregate: worst }').replace('objectives:', 'selection: training-domain\nobjectives:'));
  t.is(td.selection, 'training-domain');
  t.is(td.objectives[0]?.aggregate, 'worst');
  t.deepEqual(td.warnings, []);
  t.deepEqual(parseSpecText(base.replace('objectives:', 'selection: oracle\nobjectives:')).warnings, [], 'oracle is stated, so labelled where shown, not warned about');
  t.regex(specError(t, base.replace('goal: max }', 'goal: max, aggregate: luckiest }')).message, /objectives\[0\]\.aggregate/);
  t.regex(specError(t, base.replace('objectives:', 'selection: peek\nobjectives:')).message, /selection/);
});

test('leave-one-domain-out is refused with its reason with fewer than 3 training environments, accepted with 3', (t) => {
  const two = specError(t, base.replace('objectives:', 'selection: leave-one-domain-out\nobjectives:'));
  t.regex(two.message, /selection: leave-one-domain-out needs at least 3 training environments .* dataset "spurious" has 2/);
  const three = parseSpecText(base.replace('{ name: spurious, n: 400 }', '{ name: spurious, n: 400, env_p_maj: [0.9, 0.8, 0.7] }').replace('objectives:', 'selection: leave-one-domain-out\nobjectives:'));
  t.is(three.selection, 'leave-one-domain-out');
});
