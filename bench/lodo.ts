import { loadMethod } from '../worker/index.js';
import { loadBackend } from '../worker/backend.js';
import type { TrialInput, TrialRuntime } from '../worker/methods/types.js';
import { LEAVE_ONE_DOMAIN_OUT } from '../proto/index.js';
import { isEntry, median } from './harness.js';

const RUNS = Number(process.env.BENCH_LODO_RUNS ?? 3);
const STEPS = Number(process.env.BENCH_LODO_STEPS ?? 300);

/**
 * What leave-one-domain-out costs a trial: one `irm` trial on `spurious` (n 3000, three training
 * environments) with and without its folds, alternated, median of RUNS each. The folds add E = 3
 * trainings on two thirds of the rows each, so the ratio is expected under E + 1 = 4.
 */
export async function main(): Promise<void> {
  const impl = await loadMethod('irm');
  if (!impl) throw new Error('no irm implementation');
  const rt: TrialRuntime = { signal: new AbortController().signal, heartbeat: () => undefined, backend: () => loadBackend() };
  const input: TrialInput = {
    trialId: 't', sweepId: 'bench-lodo', params: { steps: STEPS, lr: 0.001, penalty_weight: 100 }, seed: 0,
    dataset: { name: 'spurious', options: { n: 3000, env_p_maj: [0.95, 0.85, 0.75] } }, attempt: 1,
  };
  await impl.run(input, rt);
  const plain: number[] = [];
  const folds: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    let t0 = performance.now();
    await impl.run(input, rt);
    plain.push(performance.now() - t0);
    t0 = performance.now();
    await impl.run({ ...input, selection: LEAVE_ONE_DOMAIN_OUT }, rt);
    folds.push(performance.now() - t0);
  }
  const backend = (await loadBackend()).name;
  console.log(
    `lodo: irm, spurious n 3000, 3 environments, ${STEPS} steps, ${backend}: trial ${median(plain).toFixed(0)} ms without folds, ` +
      `${median(folds).toFixed(0)} ms with them (median of ${RUNS}), ratio ${(median(folds) / median(plain)).toFixed(2)}x (E + 1 = 4 trainings)`,
  );
}

if (isEntry(import.meta.url)) await main();
