import type { Split } from '../datasets/index.js';

/** Training environments concatenated in order: every row once, with each environment's [start, size]. */
export interface PooledRows {
  n: number;
  x: Float32Array;
  y: Float32Array;
  ranges: [number, number][];
}

/** The rows of `environments`, one after the other, as both trainers take them through the network in one pass. */
export function poolEnvironments(environments: readonly Split[], dim: number): PooledRows {
  const n = environments.reduce((s, e) => s + e.n, 0);
  const x = new Float32Array(n * dim);
  const y = new Float32Array(n);
  const ranges: [number, number][] = [];
  let off = 0;
  for (const e of environments) {
    x.set(e.x, off * dim);
    y.set(e.y, off);
    ranges.push([off, e.n]);
    off += e.n;
  }
  return { n, x, y, ranges };
}
