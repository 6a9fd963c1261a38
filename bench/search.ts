import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AdaptiveSearch, UnitSpace, hypervolume, searchAlgorithm, type SearchAlgorithmName } from '../coordinator/search/index.js';
import { zdtImpl } from '../worker/methods/zdt.js';
import { zdtTrueFront } from '../worker/methods/zdt-problems.js';
import type { ZdtProblem } from '../catalog/methods/zdt.js';
import type { Params } from '../proto/index.js';
import { isEntry, median } from './harness.js';

const OPTUNA_SCRIPT = fileURLToPath(new URL('../../bench/optuna_search.py', import.meta.url));
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
/** The seeds: BENCH_SEED_LIST (comma-separated, e.g. to fill an Optuna cache in parallel runs), else 0 … BENCH_SEEDS − 1 (5). */
const SEED_LIST = process.env.BENCH_SEED_LIST?.split(',').map(Number) ?? Array.from({ length: Number(process.env.BENCH_SEEDS ?? 5) }, (_, i) => i);
if (SEED_LIST.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`BENCH_SEED_LIST: expected comma-separated whole numbers, got "${process.env.BENCH_SEED_LIST}"`);
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
const BUDGETS = [100, 250, 500] as const;
/** Proposals asked at once, as a spec's `search.batch`; BENCH_MOTPE_BATCH sets motpe's (4 unless set). */
const BATCH: Record<SearchAlgorithmName, number> = { random: 10, nsga2: 10, motpe: Number(process.env.BENCH_MOTPE_BATCH ?? 4) };

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
async function runFairsweep(p: Problem, name: SearchAlgorithmName, seed: number): Promise<number[]> {
  const space = new UnitSpace(Object.fromEntries(Array.from({ length: p.n }, (_, i) => [`x${i}`, { uniform: [0, 1] as [number, number], integer: false }])));
  const last = BUDGETS[BUDGETS.length - 1] as number;
  const search = new AdaptiveSearch({ algorithm: searchAlgorithm(name), seed, budget: last, batch: BATCH[name], dims: p.n });
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
    const rows: [string, number[]][] = [];
    const t0 = performance.now();
    type Run = [string, (seed: number) => Promise<number[] | undefined>];
    const runs: Run[] = [
      ...(['nsga2', 'motpe', 'random'] as const).map((a): Run => [`fairsweep ${a} (batch ${BATCH[a]})`, (s) => runFairsweep(p, a, s)]),
      ...(withOptuna ? (['nsga2', 'tpe'] as const).filter((a) => SAMPLERS.includes(a)).map((a): Run => [`optuna ${a === 'nsga2' ? 'NSGAIISampler' : 'TPESampler'}`, (s) => runOptuna(p, a, s, version ?? '')]) : []),
    ];
    for (const [label, run] of runs) {
      const perSeed = (await pool(SEEDS, label.startsWith('optuna') ? JOBS : 1, (i) => run(SEED_LIST[i] as number))).filter((r): r is number[] => r !== undefined);
      if (perSeed.length === 0) continue;
      rows.push([perSeed.length === SEEDS ? label : `${label} [${perSeed.length} seeds]`, BUDGETS.map((_, i) => median(perSeed.map((r) => r[i] as number)))]);
    }
    const best = (prefix: string): number[] => BUDGETS.map((_, i) => Math.max(...rows.filter(([l]) => l.startsWith(prefix)).map(([, m]) => m[i] as number)));
    console.log(`search: ${p.problem} (${p.n} variables, ${p.nObj} objectives), hypervolume, reference ${reference(p).join(', ')}, true front ${trueHypervolume(p).toFixed(4)}; medians of ${SEEDS} seeds after ${BUDGETS.join(' / ')} evaluations (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    for (const [label, m] of rows) console.log(`  ${label.padEnd(32)} ${m.map((v) => v.toFixed(4)).join('  ')}`);
    if (rows.some(([l]) => l.startsWith('optuna'))) {
      const f = best('fairsweep');
      const o = best('optuna');
      console.log(`  best fairsweep / best optuna      ${f.map((v, i) => `${(v / (o[i] as number)).toFixed(3)}x`).join('  ')} (${f.every((v, i) => v >= (o[i] as number)) ? 'PASS' : 'MISS'}: goal >= 1 at every budget)`);
    }
  }
}

if (isEntry(import.meta.url)) await main();
