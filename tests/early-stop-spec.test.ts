import test from 'ava';
import { parseSpecText, SpecError } from '../coordinator/index.js';
import { toSweepSpecMessage } from '../coordinator/sweeps/spec-message.js';
import { Goal, PACK_OFF } from '../proto/index.js';

const spec = (earlyStop: string, extra = ''): string => `
name: es
method: irm
dataset: { name: spurious, n: 400 }
params: { steps: 90 }
grid: { lr: [0.001, 0.01] }
selection: training-domain
objectives:
  - { metric: test/accuracy, goal: max }
  - { metric: test/equalized_odds_difference, goal: min }
${extra}
early_stop: ${earlyStop}
`;

function specError(t: import('ava').ExecutionContext, text: string): string {
  const err = t.throws(() => parseSpecText(text), { instanceOf: SpecError });
  return err?.message ?? '';
}

test('early_stop defaults: η 3, the objectives on the split selection chooses on, eval_every set from min_steps', (t) => {
  const s = parseSpecText(spec('{ algorithm: asha, min_steps: 10 }'));
  t.deepEqual(s.earlyStop, {
    algorithm: 'asha',
    objectives: [{ metric: 'trainval/accuracy', goal: 'max' }, { metric: 'trainval/equalized_odds_difference', goal: 'min' }],
    minSteps: 10,
    reductionFactor: 3,
    evalEvery: 10,
  });
  t.is(s.params['eval_every'], 10);
  t.is(s.pack, PACK_OFF, 'packed trials report no progress: early stopping runs each trial alone');
  t.deepEqual(s.warnings, []);
  const m = toSweepSpecMessage(s, 1).earlyStop;
  // Rungs rank trials, not configurations: no aggregate over seeds on the wire.
  t.deepEqual(m, { algorithm: 'asha', objectives: [{ metric: 'trainval/accuracy', goal: Goal.GOAL_MAX, aggregate: '' }, { metric: 'trainval/equalized_odds_difference', goal: Goal.GOAL_MIN, aggregate: '' }], minSteps: 10, reductionFactor: 3, maxRungs: 0 });
  t.is(toSweepSpecMessage(parseSpecText(spec('{ algorithm: asha, min_steps: 10 }').replace(/early_stop:.*/, '')), 1).earlyStop, undefined);
});

test('early_stop with one metric takes its goal from the objectives or from goal; a given eval_every stays', (t) => {
  const s = parseSpecText(spec('{ algorithm: asha, metric: val/accuracy, goal: max, min_steps: 5, reduction_factor: 2, max_rungs: 3 }').replace('steps: 90', 'steps: 90, eval_every: 5'));
  t.deepEqual(s.earlyStop?.objectives, [{ metric: 'val/accuracy', goal: 'max' }]);
  t.is(s.earlyStop?.maxRungs, 3);
  t.is(s.params['eval_every'], 5);
  const own = parseSpecText(spec('{ algorithm: asha, metric: test/accuracy, min_steps: 5 }'));
  t.deepEqual(own.earlyStop?.objectives, [{ metric: 'test/accuracy', goal: 'max' }]);
  t.true(own.warnings.some((w) => w.includes('early_stop ranks test metrics (test/accuracy)')), own.warnings.join('; '));
});

test('a metric a training method does not report while training is warned about', (t) => {
  const s = parseSpecText(spec('{ algorithm: asha, objectives: [{ metric: train/accuracy, goal: max }], min_steps: 5 }'));
  t.true(s.warnings.some((w) => w.includes('train/accuracy') && w.includes('never stopped')), s.warnings.join('; '));
});

test('bad early_stop values name their path', (t) => {
  t.regex(specError(t, spec('{ algorithm: hyperband, min_steps: 5 }')), /early_stop\.algorithm: expected one of "asha", got "hyperband"/);
  t.regex(specError(t, spec('{ algorithm: asha }')), /early_stop\.min_steps/);
  t.regex(specError(t, spec('{ algorithm: asha, min_steps: 5, reduction_factor: 1 }')), /early_stop\.reduction_factor/);
  t.regex(specError(t, spec('{ algorithm: asha, min_steps: 0 }')), /early_stop\.min_steps/);
  t.regex(specError(t, spec('{ algorithm: asha, min_steps: 5, metric: val/accuracy, objectives: [{ metric: val/ece, goal: min }] }')), /early_stop\.objectives: give metric \(one\) or objectives \(several\), not both/);
  t.regex(specError(t, spec('{ algorithm: asha, min_steps: 5, metric: val/ece }')), /early_stop\.goal: expected max or min: metric val\/ece is not one of the objectives/);
  t.regex(specError(t, spec('{ algorithm: asha, min_steps: 5, patience: 3 }')), /early_stop/);
  t.regex(specError(t, spec('{ algorithm: asha, min_steps: 5 }', 'pack: 4')), /^pack: packed trials report no progress, so early_stop cannot stop them/);
  const zdt = `name: z\nmethod: zdt\nparams: { problem: zdt1 }\nsearch: { samples: 4, space: { x0: { uniform: [0, 1] } } }\nobjectives: [{ metric: f1, goal: min }]\nearly_stop: { algorithm: asha, min_steps: 5 }\n`;
  t.regex(specError(t, zdt), /early_stop: method "zdt" reports no progress while it runs/);
});
