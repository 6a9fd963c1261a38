import test from 'ava';
import { parseSpecText, planSweep, SpecError } from '../coordinator/index.js';
import { SweepSearch } from '../coordinator/search/index.js';
import { canonicalJson } from '../proto/index.js';
import { TrialResult, TrialStatus } from '../proto/index.js';

const spec = (search: string, extra = ''): string => `
name: adaptive
method: zdt
params: { problem: zdt1 }
${extra}
search:
${search}
seeds: [0, 1]
objectives: [{ metric: f1, goal: min }, { metric: f2, goal: max }]
`;
const space = '  space: { x0: { uniform: [0, 1] }, x1: { uniform: [0, 1] } }';

function specError(t: import('ava').ExecutionContext, text: string): string {
  return (t.throws(() => parseSpecText(text), { instanceOf: SpecError }) as SpecError).message;
}

test('an adaptive search: budget × seeds trials, one shard per point, the first two batches planned now', (t) => {
  const s = parseSpecText(spec(`  algorithm: nsga2\n  budget: 30\n  batch: 4\n${space}`));
  t.deepEqual(s.adaptive, { algorithm: 'nsga2', budget: 30, batch: 4, seed: 0, space: { x0: { uniform: [0, 1], integer: false }, x1: { uniform: [0, 1], integer: false } } });
  t.is(s.trials, 60);
  t.deepEqual(s.samples, []);
  const plan = planSweep('sw', s);
  t.is(plan.totalTrials, 60);
  t.is(plan.totalShards, 30);
  t.deepEqual(plan.shards.map((x) => x.id), [...Array(8).keys()].map((p) => `sw-p${p}`));
  t.deepEqual(plan.shards[1]?.trials.map((x) => [x.index, x.seed]), [[2, 0], [3, 1]]);
  t.is(parseSpecText(spec(`  algorithm: motpe\n  budget: 30\n${space}`)).adaptive?.batch, 8, 'batch defaults to 8');
});

test('adaptive search errors name the key', (t) => {
  t.regex(specError(t, spec(`  budget: 30\n  samples: 4\n${space}`)), /search\.budget: budget belongs to an adaptive search/);
  t.regex(specError(t, spec(`  algorithm: nsga2\n${space}`)), /search\.budget: expected the number of points algorithm nsga2 may propose/);
  t.regex(specError(t, spec(`  algorithm: motpe\n  budget: 5\n  samples: 4\n${space}`)), /search\.samples: an adaptive search/);
  t.regex(specError(t, spec(`  algorithm: cmaes\n  budget: 5\n${space}`)), /search\.algorithm/);
  t.regex(specError(t, spec(`  algorithm: nsga2\n  budget: 5\n${space}`, 'grid: { n_obj: [2] }')), /^grid: an adaptive search \(search\.algorithm nsga2\) takes no grid/m);
  // The space reaches outside zdt's [0, 1]: named at its highest point.
  t.regex(specError(t, spec(`  algorithm: nsga2\n  budget: 5\n  space: { x0: { uniform: [0, 2] }, x1: { uniform: [0, 1] } }`)), /search\.space\.x0 \(sample 1: 2\): expected a value in \[0, 1\]/);
  t.regex(specError(t, spec(`  algorithm: nsga2\n  budget: 5\n  batch: 0\n${space}`)), /search\.batch/);
});

test('search without an algorithm is the random search of before', (t) => {
  const s = parseSpecText(spec(`  samples: 5\n${space}`));
  t.is(s.adaptive, undefined);
  t.is(s.samples.length, 5);
  t.is(s.trials, 10);
  t.is(planSweep('sw', s).totalShards, planSweep('sw', s).shards.length);
});

test('a discrete space: every proposal has its own params, up to the whole space; a larger budget is refused', (t) => {
  const text = (budget: number): string => `
name: discrete
method: sleep
search:
  algorithm: nsga2
  budget: ${budget}
  batch: 3
  space: { k: { choice: [a, b, c] }, n: { uniform: [0, 4], integer: true } }
objectives: [{ metric: score, goal: max }, { metric: cost, goal: min }]
`;
  const search = SweepSearch.of('sw', parseSpecText(text(12)));
  if (!search) return t.fail();
  const seen: string[] = [];
  const queue = search.ask();
  let score = 0;
  while (queue.length > 0) {
    const shard = queue.shift();
    for (const trial of shard?.trials ?? []) {
      seen.push(canonicalJson(trial.params));
      queue.push(...search.tell(TrialResult.fromPartial({ trialId: trial.id, sweepId: 'sw', index: trial.index, seed: trial.seed, status: TrialStatus.TRIAL_STATUS_OK, metrics: { score: (score += 0.37) % 1, cost: 0.5 } })));
    }
  }
  t.is(seen.length, 12);
  t.is(new Set(seen).size, 12, 'all twelve points of the space, once each');
  t.regex(specError(t, text(13)), /^search\.budget: 13 points wanted, but the space has only 12 distinct points/);
});

test('a point counts once all its seeds have a result, once', (t) => {
  const s = parseSpecText(spec(`  algorithm: nsga2\n  budget: 12\n  batch: 2\n${space}`));
  const search = SweepSearch.of('sw', s);
  if (!search) return t.fail();
  const shards = search.ask();
  t.is(shards.length, 4);
  // Batches of 2 points: batch 0 is points 0 and 1, batch 1 points 2 and 3.
  const result = (point: number, seed: number, metrics: Record<string, number>, ok = true): TrialResult => {
    const trial = shards[point]?.trials[seed];
    return TrialResult.fromPartial({ trialId: trial?.id ?? '', sweepId: 'sw', index: trial?.index ?? -1, seed, status: ok ? TrialStatus.TRIAL_STATUS_OK : TrialStatus.TRIAL_STATUS_FAILED, metrics, attempts: 1 });
  };
  t.deepEqual(search.tell(result(0, 0, { f1: 0.2, f2: 1 })), [], 'one seed of two: nothing told yet');
  t.deepEqual(search.tell({ ...result(0, 1, { f1: 0.4, f2: 3 }), trialId: 'tforeign' }), [], 'an id not of the proposal is ignored');
  t.deepEqual(search.tell(result(0, 1, { f1: 0.4, f2: 3 })), [], 'batch 0 is not finished: point 1 has no result');
  t.deepEqual(search.tell(result(2, 0, { f1: 0.1, f2: 2 }, false)), []);
  t.deepEqual(search.tell(result(2, 1, { f1: 0.1, f2: 2 })), [], 'point 1 of batch 0 is still missing');
  t.deepEqual(search.tell(result(1, 0, { f1: 0.5, f2: 1 })), []);
  const batch2 = search.tell(result(1, 1, { f1: 0.5 }));
  t.deepEqual(batch2.map((x) => x.id), ['sw-p4', 'sw-p5'], 'batch 0 done: batch 2 proposed');
  t.deepEqual(search.unfinished().map((x) => x.id), ['sw-p3', 'sw-p4', 'sw-p5']);
  t.deepEqual(search.tell(result(1, 1, { f1: 0.5, f2: 1 })), [], 'a second result of a told point changes nothing');
});
