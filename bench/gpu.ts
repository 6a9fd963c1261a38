import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { isBackendName } from '../worker/backend-types.js';
import { loadBackend } from '../worker/backend.js';
import { loadDataset } from '../worker/datasets/index.js';
import { trainMlp } from '../worker/training/trainer.js';
import { trainMlpPacked } from '../worker/training/packed-trainer.js';
import { disposeMlp } from '../worker/training/mlp.js';
import { isEntry, median } from './harness.js';

const run = promisify(execFile);
const TORCH_REFERENCE = fileURLToPath(new URL('../../bench/torch_reference.py', import.meta.url));

/** The paper's Colored MNIST IRM scale (Arjovsky et al.): 2 × 24,500 rows, 2×14×14 inputs, 390-390 hidden. */
const PAPER = { rows: 49_000, dim: 392, hidden: [390, 390] };
/** What a 2-core CPU finishes in seconds. */
const CPU = { rows: 4_000, dim: 392, hidden: [64, 64] };

interface TorchFigure {
  device: string;
  torch: string;
  ms_per_step: number;
}

/** PyTorch's step time for the same shapes, when a python3 with torch is there (Debian's first, then PATH's). */
async function torchReference(rows: number, dim: number, hidden: readonly number[], device: 'auto' | 'cpu'): Promise<TorchFigure | string> {
  for (const python of ['/usr/bin/python3', 'python3']) {
    if (python.startsWith('/') && !existsSync(python)) continue;
    try {
      const { stdout } = await run(python, [TORCH_REFERENCE, '--rows', String(rows), '--dim', String(dim), '--hidden', hidden.join(','), '--device', device], { timeout: 600_000 });
      const line = stdout.trim().split('\n').at(-1) ?? '';
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === 'object' && parsed !== null && 'ms_per_step' in parsed && typeof parsed.ms_per_step === 'number' && 'device' in parsed && typeof parsed.device === 'string' && 'torch' in parsed && typeof parsed.torch === 'string') {
        return { device: parsed.device, torch: parsed.torch, ms_per_step: parsed.ms_per_step };
      }
      return `unexpected output from ${python}: ${line}`;
    } catch (err) {
      const msg = err instanceof Error ? err.message.split('\n').find((l) => /ModuleNotFoundError|No module/.test(l)) ?? err.message.split('\n')[0] : String(err);
      if (python === 'python3') return `no PyTorch reference: ${msg}`;
    }
  }
  return 'no PyTorch reference: no python3 with torch';
}

/**
 * `node dist/bench/gpu.js [--backend NAME] [--gpu N] [--rows N] [--dim D] [--hidden 390,390]`:
 * per-step time of fairsweep's IRMv1 trainer (two environments, full batch, Adam) on one backend,
 * and PyTorch fp32 for the same step on the same machine (bench/torch_reference.py), with the ratio,
 * from the same run. The step time is the difference between a 2S-step and an S-step training run,
 * over S, so set-up and read-back cancel. Defaults: the paper's scale on a GPU backend, a smaller one
 * (4,000 rows, hidden 64-64) on the CPU backends.
 */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({ args: [...argv], options: { backend: { type: 'string' }, gpu: { type: 'string' }, rows: { type: 'string' }, dim: { type: 'string' }, hidden: { type: 'string' }, steps: { type: 'string' } } });
  const prefer = values.backend;
  if (prefer !== undefined && !isBackendName(prefer)) throw new Error(`--backend: unknown backend "${prefer}"`);
  const gpu = values.gpu !== undefined ? Number(values.gpu) : prefer === 'webgpu' || prefer === 'tensorflow-gpu' ? 0 : undefined;
  const backend = await loadBackend({ ...(gpu !== undefined ? { gpu } : {}), ...(prefer ? { prefer: [prefer] } : {}), dawnFlags: (process.env.FAIRSWEEP_DAWN_FLAGS ?? '').split(/\s+/).filter(Boolean) });
  const onGpu = backend.gpu >= 0;
  const scale = onGpu ? PAPER : CPU;
  const rows = values.rows ? Number(values.rows) : scale.rows;
  const dim = values.dim ? Number(values.dim) : scale.dim;
  const hidden = values.hidden ? values.hidden.split(',').map(Number) : scale.hidden;
  const s = values.steps ? Number(values.steps) : onGpu ? 50 : 10;
  const data = loadDataset('spurious', { n: rows, d: dim - 2 }, 0);
  const train = async (steps: number, seed: number): Promise<number> => {
    const t0 = performance.now();
    const r = await trainMlp(backend.tf, data.dim, data.environments, {
      steps, lr: 0.001, l2: 0.001, hidden, seed, objective: { kind: 'irm', penaltyWeight: 100, annealIters: 0 },
      signal: new AbortController().signal, heartbeat: () => undefined,
    });
    disposeMlp(r.model);
    return performance.now() - t0;
  };
  await train(2, 0); // kernels compiled, weights uploaded once
  const perStep: number[] = [];
  for (let r = 1; r <= 3; r++) perStep.push(((await train(2 * s, r)) - (await train(s, r))) / s);
  const ms = median(perStep);
  const where = `${backend.name}${backend.device ? ` on ${backend.device}` : ''}`;
  console.log(`gpu: IRMv1 step, ${rows} rows, ${[dim, ...hidden, 1].join('-')}, Adam: ${ms.toFixed(2)} ms per step on ${where} (median of 3, ${s} vs ${2 * s} steps)`);
  // Packed: K trials (different penalty weights and learning rates) as one batched model.
  const K = onGpu ? 16 : 4;
  const packs = Array.from({ length: K }, (_, i) => ({ lr: 0.001 * (1 + i / K), l2: 0.001, seed: i, objective: { kind: 'irm' as const, penaltyWeight: 10 * (i + 1), annealIters: 0 } }));
  const trainPacked = async (steps: number): Promise<number> => {
    const t0 = performance.now();
    const out = await trainMlpPacked(backend.tf, data.dim, data.environments, { steps, hidden, signal: new AbortController().signal, heartbeat: () => undefined }, packs);
    for (const r of out) if (r.ok) disposeMlp(r.result.model);
    return performance.now() - t0;
  };
  await trainPacked(2);
  const packedPerTrialStep: number[] = [];
  for (let r = 1; r <= 3; r++) packedPerTrialStep.push(((await trainPacked(2 * s)) - (await trainPacked(s))) / s / K);
  const pms = median(packedPerTrialStep);
  console.log(`gpu: packed K = ${K}: ${pms.toFixed(2)} ms per trial-step on ${where} = ${(pms / ms).toFixed(2)}× the unpacked step (median of 3)`);
  const torch = await torchReference(rows, dim, hidden, onGpu ? 'auto' : 'cpu');
  if (typeof torch === 'string') console.log(`gpu: ${torch}`);
  else console.log(`gpu: PyTorch ${torch.torch} fp32 on ${torch.device}: ${torch.ms_per_step.toFixed(2)} ms per step; fairsweep/PyTorch = ${(ms / torch.ms_per_step).toFixed(2)}× (target on a GPU: <= 3×)`);
}

if (isEntry(import.meta.url)) await main();
