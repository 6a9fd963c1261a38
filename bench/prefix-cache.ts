import { loadBackend } from '../worker/backend.js';
import { getMethod } from '../catalog/index.js';
import { loadMethod } from '../worker/index.js';
import { prefixCache } from '../worker/methods/prefix-cache.js';
import type { Params } from '../proto/index.js';
import { isEntry, median } from './harness.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const K = 25;

/**
 * A K = 25 coefficient sweep of task arithmetic (toxicity, 4 subgroups, full fine-tunes): the
 * worker-side time of its trials with the prefix cache (θ₀ and the four task vectors computed
 * once, each trial only combines and evaluates) next to the same trials with the cache disabled
 * (each trial trains its own base model and fine-tunes). Medians of BENCH_RUNS runs.
 */
export async function main(): Promise<void> {
  await loadBackend();
  const d = getMethod('task-arithmetic')!;
  const impl = await loadMethod(d.name)!;
  const rt = { signal: new AbortController().signal, heartbeat: () => undefined, backend: () => loadBackend() };
  const grid = Array.from({ length: K }, (_, i) => [Math.floor(i / 5) / 2 - 1, (i % 5) / 2 - 1, 0.5, 0.5]);
  const sweep = async (cached: boolean, run: number): Promise<number> => {
    prefixCache.setEnabled(cached);
    prefixCache.clear();
    const t0 = performance.now();
    for (const coefficients of grid) {
      const params = d.params.parse({ coefficients, base_steps: 200, finetune_steps: 100, hidden: [32] }) as Params;
      await impl.run({ trialId: `t${run}`, sweepId: 'bench', params, seed: run, attempt: 1, dataset: { name: 'toxicity', options: { n: 4000 } } }, rt);
    }
    return (performance.now() - t0) / 1000;
  };
  const withCache: number[] = [];
  const without: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    withCache.push(await sweep(true, r));
    without.push(await sweep(false, r));
  }
  prefixCache.setEnabled(true);
  const a = median(withCache);
  const b = median(without);
  console.log(`prefix-cache: K=${K} task-arithmetic trials: ${a.toFixed(2)} s with the prefix cache vs ${b.toFixed(2)} s without = ${(b / a).toFixed(1)}x faster (median of ${RUNS})`);
}

if (isEntry(import.meta.url)) await main();
