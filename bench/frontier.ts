import { hypervolume2d, paretoFront, type Candidate } from '../coordinator/frontier/index.js';
import { Rng } from '../common/random.js';
import { isEntry, median } from './harness.js';

const N = Number(process.env.BENCH_FRONTIER_POINTS ?? 1_000_000);
const RUNS = 5;

/** Frontier of 1M random 2-objective points (target < 1 s), against sorting the same points once. */
export async function main(): Promise<void> {
  const rng = new Rng(42);
  const cands: Candidate<null>[] = Array.from({ length: N }, (_, i) => {
    // Correlated objectives (accuracy vs unfairness), as sweeps produce them.
    const a = rng.next();
    return { id: `t${i}`, values: [a, 0.5 * a + 0.5 * rng.next()], item: null };
  });
  const times: number[] = [];
  const sorts: number[] = [];
  let front: Candidate<null>[] = [];
  for (let r = 0; r < RUNS; r++) {
    let t0 = performance.now();
    front = paretoFront(cands, ['max', 'min']);
    times.push(performance.now() - t0);
    const copy = cands.slice();
    t0 = performance.now();
    copy.sort((x, y) => (y.values[0] as number) - (x.values[0] as number));
    sorts.push(performance.now() - t0);
  }
  const t0 = performance.now();
  const hv = hypervolume2d(front.map((c) => [c.values[0] as number, c.values[1] as number] as const), ['max', 'min'], [0, 1]);
  const hvMs = performance.now() - t0;
  const ms = median(times);
  const sortMs = median(sorts);
  console.log(
    `frontier: ${N} points, 2 objectives: median ${ms.toFixed(0)} ms (${RUNS} runs), ${front.length} on the frontier; ` +
      `sort-only baseline ${sortMs.toFixed(0)} ms, ratio ${(ms / sortMs).toFixed(2)}x; hypervolume ${hv.toFixed(4)} in ${hvMs.toFixed(2)} ms ` +
      `(target < 1000 ms: ${ms < 1000 ? 'PASS' : 'MISS'})`,
  );
}

if (isEntry(import.meta.url)) await main();
