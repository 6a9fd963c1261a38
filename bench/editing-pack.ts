import { parseArgs } from 'node:util';
import { loadBackend } from '../worker/backend.js';
import { isBackendName } from '../worker/backend-types.js';
import { getMethod } from '../catalog/index.js';
import { loadMethod } from '../worker/index.js';
import { loadDataset } from '../worker/datasets/index.js';
import { PrefixCache } from '../worker/methods/prefix-cache.js';
import { predictProbaBatched } from '../worker/training/batched-evaluate.js';
import { disposeMlp } from '../worker/training/mlp.js';
import { predictProba } from '../worker/training/trainer.js';
import { combine, mlpFromArrays, type MlpArrays } from '../worker/training/weights.js';
import type { TrialInput, TrialRuntime } from '../worker/methods/types.js';
import type { Params } from '../proto/index.js';
import { isEntry, median } from './harness.js';

/** Random parameters of these widths (the forward-pass figure needs shapes, not trained values). */
function randomModel(dims: readonly number[], seed: number): MlpArrays {
  let s = seed + 1;
  const r = (): number => ((s = (s * 16807) % 2147483647) / 2147483647) * 0.2 - 0.1;
  return { dims: [...dims], weights: dims.slice(0, -1).map((d, i) => Float32Array.from({ length: d * (dims[i + 1] as number) }, r)), biases: dims.slice(1).map((d) => new Float32Array(d)) };
}

/**
 * `node dist/bench/editing-pack.js [--backend NAME] [--k 16] [--rows 4000] [--hidden 32] [--runs 5]`: the evaluation
 * of K task-arithmetic trials that share a prefix (toxicity, 4 subgroups, full fine-tunes; the
 * prefix trained once beforehand, so both sides only merge and evaluate), one by one (`run` per
 * trial) and as one pack (`runPack`: every split through one batched forward pass), per trial; then
 * the forward pass alone on the largest split (K models one by one vs batched). Medians of --runs
 * runs on the worker's backend (wasm on the CPU: each model's own products in the pass, see
 * batched-evaluate.ts) or --backend's (`cpu`: tfjs's plain JavaScript kernels, batched products).
 */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({ args: [...argv], options: { backend: { type: 'string' }, k: { type: 'string' }, rows: { type: 'string' }, hidden: { type: 'string' }, runs: { type: 'string' } } });
  const k = Number(values.k ?? 16);
  const rows = Number(values.rows ?? 4000);
  const hidden = (values.hidden ?? '32').split(',').map(Number);
  const runs = Number(values.runs ?? 5);
  const prefer = values.backend;
  if (prefer !== undefined && !isBackendName(prefer)) throw new Error(`--backend: unknown backend "${prefer}"`);
  const backend = await loadBackend(prefer ? { prefer: [prefer] } : {});
  const d = getMethod('task-arithmetic')!;
  const impl = (await loadMethod(d.name))!;
  const cache = new PrefixCache();
  const rt: TrialRuntime = { signal: new AbortController().signal, heartbeat: () => undefined, backend: () => loadBackend(), prefixCache: cache };
  const dataset = { name: 'toxicity', options: { n: rows } };
  const inputs: TrialInput[] = Array.from({ length: k }, (_, i) => ({
    trialId: `t${i}`, sweepId: 'bench', seed: 0, attempt: 1, dataset,
    params: d.params.parse({ coefficients: [(i % 4) / 2 - 0.5, Math.floor(i / 4) / 2 - 0.5, 0.5, 0.5], base_steps: 200, finetune_steps: 100, hidden }) as Params,
  }));
  await impl.run(inputs[0]!, rt); // the prefix, trained once; every timed call below hits the cache
  const time = async (f: () => Promise<unknown>): Promise<number> => {
    const t0 = performance.now();
    await f();
    return performance.now() - t0;
  };
  const oneByOne: number[] = [];
  const packed: number[] = [];
  for (let r = 0; r < runs; r++) {
    oneByOne.push((await time(async () => { for (const input of inputs) await impl.run(input, rt); })) / k);
    packed.push((await time(() => impl.runPack!(inputs, rt))) / k);
  }
  const a = median(oneByOne);
  const b = median(packed);
  console.log(`editing-pack: K=${k} task-arithmetic trials (toxicity ${rows} rows, hidden ${hidden.join('-')}, ${backend.name}): evaluation ${a.toFixed(2)} ms per trial one by one vs ${b.toFixed(2)} ms packed = ${(a / b).toFixed(2)}x (median of ${runs})`);

  // The forward pass alone, on the training split: K single passes vs one batched pass.
  const { tf } = backend;
  const data = loadDataset(dataset.name, dataset.options, 0);
  const base = randomModel([data.dim, ...hidden, 1], 0);
  const models = Array.from({ length: k }, (_, i) => combine(base, [randomModel(base.dims, i + 1)], [0.5]));
  const single: number[] = [];
  const batched: number[] = [];
  for (let r = 0; r < runs; r++) {
    single.push((await time(async () => {
      for (const m of models) {
        const mlp = mlpFromArrays(tf, m, false);
        await predictProba(tf, mlp, data.train, data.dim);
        disposeMlp(mlp);
      }
    })) / k);
    batched.push((await time(() => predictProbaBatched(tf, models, data.train.x, data.train.n, data.dim))) / k);
  }
  const c = median(single);
  const e = median(batched);
  console.log(`editing-pack: forward pass alone (${backend.name}, ${data.train.n} rows, ${data.dim}-${hidden.join('-')}-1): ${c.toFixed(3)} ms per model one by one vs ${e.toFixed(3)} ms batched = ${(c / e).toFixed(2)}x (median of ${runs})`);
}

if (isEntry(import.meta.url)) await main();
