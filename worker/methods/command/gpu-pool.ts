/**
 * The GPUs of a worker's slots (`--gpus 0,1 --slots-per-gpu K`): a running command trial holds one
 * lease, on the GPU with the fewest running trials (at most K each while the worker has
 * gpus × K slots). No GPUs: leases are undefined.
 */
export class GpuPool {
  private readonly running: Map<number, number>;

  constructor(readonly gpus: readonly number[]) {
    this.running = new Map(gpus.map((g) => [g, 0]));
  }

  /** The least busy GPU (lowest index on ties), now held by the caller; undefined without GPUs. */
  acquire(): number | undefined {
    let best: number | undefined;
    for (const [g, n] of this.running) if (best === undefined || n < (this.running.get(best) ?? 0)) best = g;
    if (best !== undefined) this.running.set(best, (this.running.get(best) ?? 0) + 1);
    return best;
  }

  release(gpu: number | undefined): void {
    if (gpu === undefined) return;
    const n = this.running.get(gpu);
    if (n !== undefined && n > 0) this.running.set(gpu, n - 1);
  }
}

/** The variables CUDA, ROCm/HIP and the frameworks on them read to see only `gpu`. */
export function gpuEnvironment(gpu: number | undefined): Record<string, string> {
  if (gpu === undefined) return {};
  const g = String(gpu);
  return { CUDA_VISIBLE_DEVICES: g, HIP_VISIBLE_DEVICES: g, ROCR_VISIBLE_DEVICES: g, FAIRSWEEP_GPU: g };
}
