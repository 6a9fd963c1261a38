import { loadBackend } from '../worker/backend.js';
import { loadDataset } from '../worker/datasets/index.js';
import { trainMlp } from '../worker/training/trainer.js';
import { disposeMlp } from '../worker/training/mlp.js';
import { isEntry, median } from './harness.js';

const RUNS = 5;

/**
 * Training-step FLOP/s of the MLP trainer (IRMv1 over two environments, full batch) as a fraction of
 * the raw matMul FLOP/s of the same backend, measured in the same run. FLOPs counted: forward
 * 2·n·in·out per layer, backward twice the forward (gradients wrt inputs and weights).
 */
export async function main(): Promise<void> {
  const { tf, name } = await loadBackend();
  const n = 4000;
  const hidden = [256, 256];
  const data = loadDataset('spurious', { n, d: 98 }, 0); // 100 input features
  const dims = [data.dim, ...hidden, 1];
  let fwd = 0;
  for (let i = 0; i < dims.length - 1; i++) fwd += 2 * n * (dims[i] as number) * (dims[i + 1] as number);
  const stepFlops = 3 * fwd;

  // Raw matMul of a comparable size: [n, 256] × [256, 256]. (Outside tf.tidy: on the wasm backend
  // a matMul whose result is read back inside tidy runs far slower, which would flatter the ratio.)
  const a = tf.randomNormal([n, 256]);
  const b = tf.randomNormal([256, 256]);
  const rawRate = (transposed: boolean): number[] => {
    const out: number[] = [];
    const bt = transposed ? tf.transpose(b) : b;
    for (let r = 0; r < RUNS + 1; r++) {
      const t0 = performance.now();
      const reps = transposed ? 3 : 20;
      for (let k = 0; k < reps; k++) {
        const c = transposed ? tf.matMul(a, bt, false, true) : tf.matMul(a, b);
        c.dataSync();
        c.dispose();
      }
      if (r > 0) out.push((reps * 2 * n * 256 * 256) / ((performance.now() - t0) / 1000));
    }
    if (transposed) bt.dispose();
    return out;
  };
  const mm = rawRate(false);
  const mmT = rawRate(true);
  tf.dispose([a, b]);

  const steps = 40;
  const train: number[] = [];
  for (let r = 0; r < RUNS + 1; r++) {
    const t0 = performance.now();
    const res = await trainMlp(tf, data.dim, data.environments, {
      steps, lr: 0.001, l2: 0.001, hidden, seed: r, objective: { kind: 'irm', penaltyWeight: 100, annealIters: 10 },
      signal: new AbortController().signal, heartbeat: () => undefined,
    });
    const s = (performance.now() - t0) / 1000;
    disposeMlp(res.model);
    if (r > 0) train.push((steps * stepFlops) / s);
  }
  const raw = median(mm);
  const step = median(train);
  const rawT = median(mmT);
  console.log(`training: raw matMul ${(raw / 1e9).toFixed(2)} GFLOP/s; with a transposed operand (what tfjs's own matMul gradient multiplies) ${(rawT / 1e9).toFixed(2)} GFLOP/s = ${(rawT / raw).toFixed(2)} of it`);
  console.log(
    `training: IRMv1 step on ${n}x${data.dim}, hidden ${JSON.stringify(hidden)}: ${(step / 1e9).toFixed(2)} GFLOP/s = ${(step / raw).toFixed(2)} of raw matMul ${(raw / 1e9).toFixed(2)} GFLOP/s ` +
      `(${name}, median of ${RUNS}; target >= 0.5: ${step / raw >= 0.5 ? 'PASS' : 'MISS'})`,
  );
}

if (isEntry(import.meta.url)) await main();
