import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Asha } from '../coordinator/early-stop/index.js';
import type { Params } from '../proto/index.js';
import { loadMethod } from '../worker/methods/index.js';
import { loadBackend } from '../worker/backend.js';
import { ashaDataset, ashaPoints, hypervolumeMax, OBJECTIVES, trainPoint } from './asha.js';
import { envIntList, isEntry, median } from './harness.js';

/**
 * ASHA replayed over recorded learning curves, for every rung schedule of a grid. bench/asha.ts
 * trains while ASHA decides, one schedule per run (minutes per trial on 2 cores); the values a
 * trial reports do not depend on the schedule (a report does not change training), so the curves
 * of a search seed's points, recorded once at a fine step, answer any schedule whose rungs fall on
 * recorded steps: the coordinator's own `Asha` decides at each report, the trials start in the
 * sampler's order while one run to its end stays within the budget (as in bench/asha.ts), and the
 * hypervolume of the full-budget trials is compared with random search's first BENCH_ASHA_RANDOM
 * points. With the schedule of bench/asha.ts it gives bench/asha.ts's figures.
 *
 *   node dist/bench/asha-replay.js record SEED [POINTS]   trains POINTS (50) points of seed SEED
 *                                                         reporting every 6 steps, writes
 *                                                         docs/results/asha-traces/seed-SEED.json
 *                                                         (after each point; a file of the same
 *                                                         size is continued)
 *   node dist/bench/asha-replay.js [FILE...]             replays (default: every file there)
 *
 * Grid: BENCH_ASHA_REPLAY_MIN_STEPS (6,12,...,54), BENCH_ASHA_REPLAY_ETA (2,3,4,5); target
 * BENCH_ASHA_RANDOM (16) random points, BENCH_ASHA_BUDGET (0.4) of their steps. The recording's
 * size is bench/asha.ts's reduced one (162 steps, hidden ≤ 64; BENCH_ASHA_STEPS, BENCH_ASHA_HIDDEN_MAX).
 */

export const TRACE_DIR = 'docs/results/asha-traces';

/** One search seed's recorded points: each one's reports (step, then one value per objective) and final values. */
export interface TraceFile {
  seed: number;
  steps: number;
  hiddenMax: number;
  evalEvery: number;
  objectives: string[];
  trials: { params: Params; reports: number[][]; final: number[] }[];
}

export interface ReplayResult {
  hvRandom: number;
  hvAsha: number;
  /** ASHA's steps over random search's. */
  stepsRatio: number;
  started: number;
  pruned: number;
  /** True when the budget allowed more trials than were recorded: the figures are a lower bound. */
  outOfTrials: boolean;
}


/**
 * ASHA with rungs at minSteps·η^r over a recorded seed: trials report every minSteps (as
 * bench/asha.ts trains them), start while one run to its end stays within `budget` of random
 * search's steps, and are pruned when `Asha` says so at a report.
 */
export function replay(t: TraceFile, minSteps: number, eta: number, nRandom: number, budget: number): ReplayResult {
  if (minSteps % t.evalEvery !== 0) throw new RangeError(`min_steps ${minSteps} is not a multiple of the recorded step ${t.evalEvery}`);
  if (t.trials.length < nRandom) throw new RangeError(`seed ${t.seed}: ${t.trials.length} trials recorded, random search needs ${nRandom}`);
  const randomSteps = nRandom * t.steps;
  const hvRandom = hypervolumeMax(t.trials.slice(0, nRandom).map((x) => x.final));
  const asha = new Asha({ minSteps, reductionFactor: eta, goals: t.objectives.map(() => 'max') });
  const full: number[][] = [];
  let spent = 0;
  let started = 0;
  let pruned = 0;
  for (const [i, trial] of t.trials.entries()) {
    if (spent + t.steps > budget * randomSteps) break;
    started++;
    let stoppedAt = 0;
    for (let step = minSteps; step < t.steps && stoppedAt === 0; step += minSteps) {
      const report = trial.reports.find((r) => r[0] === step);
      if (!report) throw new RangeError(`seed ${t.seed} trial ${i}: no report at step ${step}`);
      if (asha.report(`t${i}`, step, report.slice(1)).kind === 'stop') stoppedAt = step;
    }
    if (stoppedAt > 0) {
      pruned++;
      spent += stoppedAt;
    } else {
      full.push(trial.final);
      spent += t.steps;
    }
  }
  const outOfTrials = started === t.trials.length && spent + t.steps <= budget * randomSteps;
  return { hvRandom, hvAsha: hypervolumeMax(full), stepsRatio: spent / randomSteps, started, pruned, outOfTrials };
}

async function record(seed: number, count: number): Promise<void> {
  const steps = Number(process.env.BENCH_ASHA_STEPS ?? 162);
  const hiddenMax = Number(process.env.BENCH_ASHA_HIDDEN_MAX ?? 64);
  const evalEvery = 6;
  const points = ashaPoints(seed, Number(process.env.BENCH_ASHA_RANDOM ?? 16), steps, hiddenMax);
  const impl = await loadMethod('irm');
  if (!impl) throw new Error('no irm method');
  const backend = await loadBackend();
  let out: TraceFile = { seed, steps, hiddenMax, evalEvery, objectives: OBJECTIVES, trials: [] };
  await mkdir(TRACE_DIR, { recursive: true });
  const file = join(TRACE_DIR, `seed-${seed}.json`);
  // A recording of the same size goes on where it stopped (the points are the same).
  const kept = await readFile(file, 'utf8').then((t) => JSON.parse(t) as TraceFile, () => undefined);
  if (kept && kept.steps === steps && kept.hiddenMax === hiddenMax && kept.evalEvery === evalEvery) out = kept;
  else if (kept) throw new Error(`asha-replay: ${file} was recorded at another size; move it away to record this one`);
  for (let i = out.trials.length; i < Math.min(count, points.length); i++) {
    const reports: number[][] = [];
    const params = points[i] as Params;
    const final = await trainPoint(impl, backend, i, params, steps, evalEvery, ashaDataset(undefined), (step, values) => reports.push([step, ...values]));
    out.trials.push({ params, reports, final });
    console.error(`asha-replay: seed ${seed} point ${i}: ${out.trials[i]?.final.map((v) => v.toFixed(3)).join(' ')}`);
    await writeFile(file, JSON.stringify(out));
  }
  console.log(`asha-replay: wrote ${file} (${out.trials.length} points)`);
}

export async function main(args: string[] = []): Promise<void> {
  if (args[0] === 'record') {
    const seed = Number(args[1]);
    const count = Number(args[2] ?? 50);
    if (!Number.isInteger(seed) || !Number.isInteger(count) || count < 1) throw new Error('usage: asha-replay.js record SEED [POINTS]');
    return record(seed, count);
  }
  const files = args.length > 0 ? args : (await readdir(TRACE_DIR)).filter((f) => f.endsWith('.json')).map((f) => join(TRACE_DIR, f));
  const traces = await Promise.all(
    files.map(async (f) => {
      try {
        return JSON.parse(await readFile(f, 'utf8')) as TraceFile;
      } catch (err) {
        throw new Error(`asha-replay: cannot read ${f}: ${(err as Error).message}`);
      }
    }),
  );
  traces.sort((a, b) => a.seed - b.seed);
  const minSteps = envIntList('BENCH_ASHA_REPLAY_MIN_STEPS', '6,12,18,24,30,36,42,48,54', 1);
  const etas = envIntList('BENCH_ASHA_REPLAY_ETA', '2,3,4,5', 2);
  const nRandom = Number(process.env.BENCH_ASHA_RANDOM ?? 16);
  const budget = Number(process.env.BENCH_ASHA_BUDGET ?? 0.4);
  console.log(
    `asha-replay: seeds ${traces.map((t) => `${t.seed} (${t.trials.length} points)`).join(', ')}; ${traces[0]?.steps} steps; random search ${nRandom} points; ASHA within ${budget} of its steps`,
  );
  const meeting: string[] = [];
  for (const m of minSteps) {
    for (const eta of etas) {
      const rs = traces.map((t) => ({ seed: t.seed, ...replay(t, m, eta, nRandom, budget) }));
      const ratios = rs.map((r) => r.hvAsha / r.hvRandom);
      const meets = rs.every((r) => r.hvAsha >= r.hvRandom && r.stepsRatio <= budget);
      if (meets) meeting.push(`min_steps ${m}, eta ${eta}`);
      console.log(
        `asha-replay: min_steps ${String(m).padStart(2)} eta ${eta}: hypervolume ratio median ${median(ratios).toFixed(3)} | ` +
          rs.map((r) => `seed ${r.seed} ${(r.hvAsha / r.hvRandom).toFixed(3)} (steps ${r.stepsRatio.toFixed(2)}, ${r.started} started, ${r.pruned} pruned${r.outOfTrials ? ', out of recorded points' : ''})`).join('; ') +
          (meets ? ' | meets the target on every seed' : ''),
      );
    }
  }
  console.log(`asha-replay: schedules meeting the target (hypervolume >= random search's with <= ${budget} of its steps) on every seed: ${meeting.length > 0 ? meeting.join('; ') : 'none'}`);
}

if (isEntry(import.meta.url)) await main(process.argv.slice(2));
