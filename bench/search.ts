import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AdaptiveSearch, UnitSpace, hypervolume, motpe, searchAlgorithm, type MotpeOptions, type SearchAlgorithm, type SearchAlgorithmName } from '../coordinator/search/index.js';
import { zdtImpl } from '../worker/methods/zdt.js';
import { zdtTrueFront } from '../worker/methods/zdt-problems.js';
import type { ZdtProblem } from '../catalog/methods/zdt.js';
import type { Params } from '../proto/index.js';
import { envIntList, isEntry, median } from './harness.js';

const OPTUNA_SCRIPT = fileURLToPath(new URL('../../bench/optuna_search.py', import.meta.url));
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
/** The seeds: BENCH_SEED_LIST (comma-separated, e.g. to fill an Optuna cache in parallel runs), else 0 … BENCH_SEEDS − 1 (5). */
const SEED_LIST = process.env.BENCH_SEED_LIST ? envIntList('BENCH_SEED_LIST', '', 0) : Array.from({ length: Number(process.env.BENCH_SEEDS ?? 5) }, (_, i) => i);
const SEEDS = SEED_LIST.length;
/** Optuna runs at once (each is one Python process). */
const JOBS = Number(process.env.BENCH_JOBS ?? 2);
/**
 * Where Optuna's runs are kept, when set: a seeded Optuna run given the same objective values
 * proposes the same trials, so a run found there (same problem, sampler, budget, seed and optuna
 * version) is read instead of run again (Optuna's multi-objective TPE takes minutes per run, even
 * with optuna_search.py's memo of its per-parameter split; BENCH_OPTUNA_MEMO=0 runs it without).
 */
const CACHE = process.env.BENCH_OPTUNA_CACHE;
/** With BENCH_OPTUNA_CACHED_ONLY=1, only Optuna runs found in the cache are used (medians over those, their count shown). */
const CACHED_ONLY = process.env.BENCH_OPTUNA_CACHED_ONLY === '1';
/** Comma-separated Optuna samplers to run, of nsga2 and tpe (default both). */
const SAMPLERS = process.env.BENCH_OPTUNA_SAMPLERS?.split(',') ?? ['nsga2', 'tpe'];
/** Comma-separated problems to run (default all). */
const ONLY = process.env.BENCH_PROBLEMS?.split(',');
/** The budgets reported, BENCH_BUDGETS (comma-separated, ascending), default 100,250,500: the last one is each run's length. */
const BUDGETS: readonly number[] = envIntList('BENCH_BUDGETS', '100,250,500', 1);
if (BUDGETS.some((b, i) => i > 0 && b <= (BUDGETS[i - 1] as number))) throw new Error(`BENCH_BUDGETS: expected ascending budgets, got "${process.env.BENCH_BUDGETS}"`);
/**
 * Proposals asked at once, as a spec's `search.batch`: 10 for nsga2 and random; motpe runs once per
 * batch size of BENCH_MOTPE_BATCHES (comma-separated, default 1,4): 1 is one proposal at a time, as
 * Optuna's ask/tell loop here; 4 is a batch for several workers.
 */
const BATCHES: Record<SearchAlgorithmName, readonly number[]> = {
  random: [10],
  nsga2: [10],
  motpe: envIntList('BENCH_MOTPE_BATCHES', '1,4', 1),
};

/**
 * motpe's settings for an ablation, BENCH_MOTPE="bandwidth=neighbors,liar=false" (the defaults
 * otherwise): the rows say which.
 */
export function parseMotpeOptions(text: string | undefined): Partial<MotpeOptions> {
  const out: Partial<MotpeOptions> = {};
  for (const item of (text ?? '').split(',').filter((s) => s.trim() !== '')) {
    const [key, value] = item.split('=').map((s) => s.trim());
    if (key === 'bandwidth' && (value === 'scott' || value === 'neighbors')) out.bandwidth = value;
    else if ((key === 'liar' || key === 'multivariate') && (value === 'true' || value === 'false')) out[key] = value === 'true';
    else if ((key === 'startup' || key === 'candidates') && value !== undefined && /^[1-9][0-9]*$/.test(value)) out[key] = Number(value);
    else throw new Error(`BENCH_MOTPE: cannot read "${item}" (expected bandwidth=scott|neighbors, liar=true|false, multivariate=true|false, startup=N or candidates=N)`);
  }
  return out;
}
const MOTPE = parseMotpeOptions(process.env.BENCH_MOTPE);
const algorithm = (name: SearchAlgorithmName): SearchAlgorithm => (name === 'motpe' ? motpe(MOTPE) : searchAlgorithm(name));

interface Problem {
  problem: ZdtProblem;
  n: number;
  nObj: number;
}

/** ZDT1 and ZDT2 with 30 variables, DTLZ2 with 3 objectives and 12 variables (k = 10), as in their papers. */
const PROBLEMS: readonly Problem[] = [
  { problem: 'zdt1', n: 30, nObj: 2 },
  { problem: 'zdt2', n: 30, nObj: 2 },
  { problem: 'dtlz2', n: 12, nObj: 3 },
];

/** The standard reference points (as in BoTorch's test problems): 11 per objective for ZDT, 1.1 for DTLZ2. */
export const reference = (p: Problem): number[] => new Array<number>(p.nObj).fill(p.problem === 'dtlz2' ? 1.1 : 11);

/** Objective values of x through the worker's own `zdt` method. */
async function evaluate(p: Problem, x: readonly number[]): Promise<number[]> {
  const params: Params = { problem: p.problem, ...(p.problem === 'dtlz2' ? { n_obj: p.nObj } : {}) };
  x.forEach((v, i) => (params[`x${i}`] = v));
  const out = await zdtImpl.run(
    { trialId: 't', sweepId: 'bench', params, seed: 0, dataset: { name: '', options: {} }, attempt: 1 },
    { signal: new AbortController().signal, heartbeat: () => undefined, backend: () => Promise.reject(new Error('no backend')) },
  );
  return Array.from({ length: p.nObj }, (_, i) => out.metrics[`f${i + 1}`] as number);
}

/** Hypervolume after each budget of one fairsweep run: batches asked, the oldest evaluated, told, as a coordinator would. */
async function runFairsweep(p: Problem, name: SearchAlgorithmName, batch: number, seed: number): Promise<number[]> {
  const space = new UnitSpace(Object.fromEntries(Array.from({ length: p.n }, (_, i) => [`x${i}`, { uniform: [0, 1] as [number, number], integer: false }])));
  const last = BUDGETS[BUDGETS.length - 1] as number;
  const search = new AdaptiveSearch({ algorithm: algorithm(name), seed, budget: last, batch, dims: p.n });
  const values: number[][] = [];
  const queue = search.ask();
  while (queue.length > 0) {
    const batch = queue.splice(0, queue.filter((q) => q.batch === queue[0]?.batch).length);
    for (const q of batch) {
      const params = space.decode(q.u);
      const v = await evaluate(p, Array.from({ length: p.n }, (_, i) => params[`x${i}`] as number));
      values[q.index] = v;
      search.tell(q.index, v);
    }
    queue.push(...search.ask());
  }
  return BUDGETS.map((b) => hypervolume(values.slice(0, b), reference(p)));
}

/** Hypervolume after each budget of one Optuna run, its trials evaluated here. */
async function runOptuna(p: Problem, sampler: 'nsga2' | 'tpe', seed: number, version: string): Promise<number[] | undefined> {
  const last = BUDGETS[BUDGETS.length - 1] as number;
  const cached = CACHE ? join(CACHE, `optuna-${version}-${sampler}-${p.problem}-${p.n}-${p.nObj}-${last}-${seed}.json`) : undefined;
  let values = cached ? await readValues(cached) : undefined;
  if (!values && CACHED_ONLY) return undefined;
  if (!values) {
    values = await optunaValues(p, sampler, seed, last);
    if (cached && CACHE) {
      await mkdir(CACHE, { recursive: true });
      await writeFile(cached, JSON.stringify(values));
    }
  }
  return BUDGETS.map((b) => hypervolume((values ?? []).slice(0, b), reference(p)));
}

async function readValues(path: string): Promise<number[][] | undefined> {
  try {
    const v: unknown = JSON.parse(await readFile(path, 'utf8'));
    return Array.isArray(v) && v.every((r): r is number[] => Array.isArray(r) && r.every((x) => typeof x === 'number')) ? v : undefined;
  } catch {
    return undefined;
  }
}

async function optunaValues(p: Problem, sampler: 'nsga2' | 'tpe', seed: number, last: number): Promise<number[][]> {
  const memo = process.env.BENCH_OPTUNA_MEMO === '0' ? ['--no-memo'] : [];
  const child = spawn(PYTHON, [OPTUNA_SCRIPT, sampler, String(p.n), String(p.nObj), String(last), String(seed), ...memo], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const values: number[][] = [];
  for await (const line of createInterface({ input: child.stdout })) {
    const x: unknown = JSON.parse(line);
    if (!Array.isArray(x) || !x.every((v): v is number => typeof v === 'number')) throw new Error(`optuna_search.py printed ${line.slice(0, 80)}, expected a list of numbers`);
    const v = await evaluate(p, x);
    values.push(v);
    child.stdin.write(`${JSON.stringify(v)}\n`);
  }
  const code = await exited;
  if (code !== 0 || values.length !== last) throw new Error(`optuna_search.py ${sampler} exited ${code} after ${values.length} of ${last} trials`);
  return values;
}

/** First and third quartiles (medians of the lower and upper halves). */
function quartiles(xs: readonly number[]): [number, number] {
  const s = [...xs].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return [median(s.slice(0, h)), median(s.slice(s.length - h))];
}

/** The share of pairs (a of as, b of bs) with a > b, ties counting ½ (the Mann–Whitney U over |as|·|bs|). */
export function pairWins(as: readonly number[], bs: readonly number[]): number {
  let u = 0;
  for (const a of as) for (const b of bs) u += a > b ? 1 : a === b ? 0.5 : 0;
  return u / (as.length * bs.length);
}

/** Runs f(0) … f(n − 1), `jobs` at a time, results in order. */
async function pool<T>(n: number, jobs: number, f: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await f(i);
    }
  }));
  return out;
}

/** The hypervolume of the true front (dense sampling), the ceiling of every figure. */
export function trueHypervolume(p: Problem): number {
  return hypervolume(zdtTrueFront(p.problem, p.nObj === 3 ? 200 : 20_001, p.nObj), reference(p));
}

/** Optuna's version, or undefined when PYTHON cannot import it. */
function optunaVersion(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import optuna; print(optuna.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * Medians over SEEDS seeds of the hypervolume (reference 1.1 per objective) after 100, 250 and 500
 * evaluations, for fairsweep's nsga2, motpe and random and, where Python has optuna, Optuna's
 * NSGAIISampler and TPESampler on the same problems; the best fairsweep figure over the best Optuna one.
 */
export async function main(): Promise<void> {
  const version = optunaVersion();
  const withOptuna = version !== undefined;
  if (!withOptuna) console.log(`search: ${PYTHON} cannot import optuna; Optuna's samplers are left out`);
  for (const p of PROBLEMS.filter((q) => !ONLY || ONLY.includes(q.problem))) {
    /** label, medians per budget, each seed's figures. */
    const rows: [string, number[], number[][]][] = [];
    const t0 = performance.now();
    type Run = [string, (seed: number) => Promise<number[] | undefined>];
    const runs: Run[] = [
      ...(['nsga2', 'motpe', 'random'] as const).flatMap((a) => BATCHES[a].map((b): Run => [`fairsweep ${a} (batch ${b}${a === 'motpe' && process.env.BENCH_MOTPE ? `; ${process.env.BENCH_MOTPE}` : ''})`, (s) => runFairsweep(p, a, b, s)])),
      ...(withOptuna ? (['nsga2', 'tpe'] as const).filter((a) => SAMPLERS.includes(a)).map((a): Run => [`optuna ${a === 'nsga2' ? 'NSGAIISampler' : 'TPESampler'}`, (s) => runOptuna(p, a, s, version ?? '')]) : []),
    ];
    for (const [label, run] of runs) {
      const perSeed = (await pool(SEEDS, label.startsWith('optuna') ? JOBS : 1, (i) => run(SEED_LIST[i] as number))).filter((r): r is number[] => r !== undefined);
      if (perSeed.length === 0) continue;
      rows.push([perSeed.length === SEEDS ? label : `${label} [${perSeed.length} seeds]`, BUDGETS.map((_, i) => median(perSeed.map((r) => r[i] as number))), perSeed]);
    }
    const bestRow = (prefix: string, i: number): (typeof rows)[number] =>
      rows.filter(([l]) => l.startsWith(prefix)).reduce((a, b) => ((b[1][i] as number) > (a[1][i] as number) ? b : a));
    const best = (prefix: string): number[] => BUDGETS.map((_, i) => bestRow(prefix, i)[1][i] as number);
    console.log(`search: ${p.problem} (${p.n} variables, ${p.nObj} objectives), hypervolume, reference ${reference(p).join(', ')}, true front ${trueHypervolume(p).toFixed(4)}; medians of ${SEEDS} seeds after ${BUDGETS.join(' / ')} evaluations (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    for (const [label, m, perSeed] of rows) {
      console.log(`  ${label.padEnd(32)} ${m.map((v) => v.toFixed(4)).join('  ')}`);
      if (perSeed.length >= 8) console.log(`  ${'  quartiles'.padEnd(32)} ${BUDGETS.map((_, i) => quartiles(perSeed.map((r) => r[i] as number)).map((v) => v.toFixed(4)).join('-')).join('  ')}`);
    }
    if (rows.some(([l]) => l.startsWith('optuna'))) {
      const f = best('fairsweep');
      const o = best('optuna');
      console.log(`  best fairsweep / best optuna      ${f.map((v, i) => `${(v / (o[i] as number)).toFixed(3)}x`).join('  ')} (${f.every((v, i) => v >= (o[i] as number)) ? 'PASS' : 'MISS'}: goal >= 1 at every budget)`);
      // How often a run of the one beats a run of the other, over every pair of seeds (ties count ½):
      // 0.5 is a coin toss, whatever the medians of a few seeds say.
      const wins = BUDGETS.map((_, i) => pairWins(bestRow('fairsweep', i)[2].map((r) => r[i] as number), bestRow('optuna', i)[2].map((r) => r[i] as number)));
      console.log(`  P(best fairsweep run > best optuna run) ${wins.map((w) => w.toFixed(2)).join('  ')} (over every pair of seeds)`);
    }
  }
}

if (isEntry(import.meta.url)) await main();
