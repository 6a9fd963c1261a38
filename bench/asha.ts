import { drawSamples, type Distribution } from '../coordinator/spec/index.js';
import { Asha } from '../coordinator/early-stop/index.js';
import { hypervolume } from '../coordinator/search/index.js';
import { loadMethod, type TrialRuntime } from '../worker/methods/index.js';
import { loadBackend } from '../worker/backend.js';
import { isEntry } from './harness.js';

/**
 * ASHA (MO-ASHA on two validation objectives) against full-budget random search on the Colored
 * MNIST IRM search space of examples/colored-mnist-irm-search.yaml: the hypervolume of each one's
 * full-budget trials, and the training steps each spent. Random search trains BENCH_ASHA_RANDOM
 * points to the last step; ASHA draws points from the same sampler (the same points first, then
 * more) while a trial run to its end would keep it within BENCH_ASHA_BUDGET (a fraction) of random
 * search's steps, stopping trials
 * at rungs min_steps·η^r. Trials run one after another (one worker slot), so reports reach ASHA in
 * trial order. Objectives: val/accuracy (the color-free validation environment) and
 * trainval/accuracy (held-out rows of the training environments), both maximised; hypervolume
 * against (0, 0). Size from the environment (defaults: the reduced size of docs/benchmarks.md):
 * BENCH_ASHA_RANDOM (16), BENCH_ASHA_STEPS (243), BENCH_ASHA_MIN_STEPS (9), BENCH_ASHA_ETA (3),
 * BENCH_ASHA_BUDGET (0.4), BENCH_ASHA_HIDDEN_MAX (128; the paper's space goes to 512),
 * BENCH_ASHA_TRAIN_DIGITS (unset: all 7,000), BENCH_ASHA_SEED (0); BENCH_ASHA_VERBOSE=1 prints each trial.
 */
const env = (name: string, fallback: number): number => {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : Number(v);
};

interface Trained {
  values: number[];
  steps: number;
  pruned: boolean;
}

export async function main(): Promise<void> {
  const nRandom = env('BENCH_ASHA_RANDOM', 16);
  const steps = env('BENCH_ASHA_STEPS', 243);
  const minSteps = env('BENCH_ASHA_MIN_STEPS', 9);
  const eta = env('BENCH_ASHA_ETA', 3);
  const budgetFraction = env('BENCH_ASHA_BUDGET', 0.4);
  const hiddenMax = env('BENCH_ASHA_HIDDEN_MAX', 128);
  const digits = process.env.BENCH_ASHA_TRAIN_DIGITS;
  const seed = env('BENCH_ASHA_SEED', 0);
  const objectives = ['val/accuracy', 'trainval/accuracy'];
  // The example's space; anneal scaled to the step count (the paper's 50–250 of up to 501 steps).
  const space: Record<string, Distribution> = {
    hidden: { log_uniform: [Math.min(64, hiddenMax / 2), hiddenMax], integer: true, repeat: 2 },
    l2: { log_uniform: [1e-5, 1e-2], integer: false },
    lr: { log_uniform: [3.16227766e-4, 3.16227766e-3], integer: false },
    penalty_anneal_iters: { uniform: [Math.round(steps * 0.1), Math.round(steps * 0.5)], integer: true },
    penalty_weight: { log_uniform: [100, 1e6], integer: false },
  };
  const points = drawSamples({ samples: nRandom * 20, seed, space });
  const dataset = { name: 'colored-mnist', options: { train_envs: [0.2, 0.1], test_env: 0.9, label_noise: 0.25, ...(digits ? { n_train: Number(digits) } : {}) } };
  const impl = await loadMethod('irm');
  if (!impl) throw new Error('no irm method');
  const backend = await loadBackend();

  /** Trains point i; with `asha`, reports every min_steps and stops when ASHA says so. */
  const train = async (i: number, asha?: Asha): Promise<Trained> => {
    const controller = new AbortController();
    let last = { step: 0, values: [] as number[] };
    let stopped = false;
    const rt: TrialRuntime = {
      signal: controller.signal,
      heartbeat: () => undefined,
      backend: () => Promise.resolve(backend),
      progress: (step, metrics) => {
        const values = objectives.map((m) => metrics[m] ?? NaN);
        last = { step, values };
        if (asha?.report(`t${i}`, step, values).kind === 'stop') {
          stopped = true;
          controller.abort('pruned');
        }
      },
    };
    const params = { ...points[i], steps, ...(asha ? { eval_every: minSteps } : {}) };
    try {
      const out = await impl.run({ trialId: `t${i}`, sweepId: 'bench', params, seed: 0, dataset, attempt: 1 }, rt);
      return { values: objectives.map((m) => out.metrics[m] ?? NaN), steps, pruned: false };
    } catch (err) {
      if (!stopped) throw err;
      return { values: last.values, steps: last.step, pruned: true };
    }
  };

  const t0 = performance.now();
  const random: Trained[] = [];
  const note = (what: string, i: number, r: Trained): void => {
    if (process.env.BENCH_ASHA_VERBOSE) console.error(`asha: ${what} ${i}: ${r.pruned ? `pruned at ${r.steps}` : 'full'} ${r.values.map((v) => v.toFixed(3)).join(' ')}`);
  };
  for (let i = 0; i < nRandom; i++) {
    random.push(await train(i));
    note('random', i, random[i] as Trained);
  }
  const randomS = (performance.now() - t0) / 1000;
  const randomSteps = random.reduce((s, r) => s + r.steps, 0);

  const t1 = performance.now();
  const asha = new Asha({ minSteps, reductionFactor: eta, goals: objectives.map(() => 'max') });
  const ashaRuns: Trained[] = [];
  let ashaSteps = 0;
  // A trial starts only while it would stay within the budget if it ran to its end.
  for (let i = 0; i < points.length && ashaSteps + steps <= budgetFraction * randomSteps; i++) {
    const r = await train(i, asha);
    ashaRuns.push(r);
    ashaSteps += r.steps;
    note('asha', i, r);
  }
  const ashaS = (performance.now() - t1) / 1000;

  const hv = (runs: readonly Trained[]): number => hypervolume(runs.filter((r) => !r.pruned).map((r) => r.values.map((v) => -v)), [0, 0]);
  const hvRandom = hv(random);
  const hvAsha = hv(ashaRuns);
  const ratio = ashaSteps / randomSteps;
  const size = `${nRandom} random points x ${steps} steps, hidden <= ${hiddenMax}, ${digits ?? 'all'} training digits, min_steps ${minSteps}, eta ${eta}, seed ${seed}`;
  console.log(`asha: ${size} (${backend.name})`);
  console.log(`asha: random search: hypervolume ${hvRandom.toFixed(4)} over ${random.length} full-budget trials, ${randomSteps} training steps, ${randomS.toFixed(0)} s`);
  console.log(`asha: ASHA: hypervolume ${hvAsha.toFixed(4)} over ${ashaRuns.filter((r) => !r.pruned).length} full-budget trials of ${ashaRuns.length} started (${ashaRuns.filter((r) => r.pruned).length} pruned), ${ashaSteps} training steps, ${ashaS.toFixed(0)} s`);
  console.log(
    `asha: steps ratio ${ratio.toFixed(3)}, hypervolume ratio ${(hvAsha / hvRandom).toFixed(3)} ` +
      `(target: ASHA >= random's hypervolume with <= 40% of its steps: ${hvAsha >= hvRandom && ratio <= 0.4 ? 'PASS' : 'MISS'})`,
  );
}

if (isEntry(import.meta.url)) await main();
