import type { Param, Params } from '../../proto/index.js';
import type { GridAxis } from './schema.js';

/** One grid key with the list of values it takes, in spec order. */
export type Axis = readonly [key: string, values: readonly Param[]];

/** Materialises the `{product}` and `{linspace}` forms of a grid axis into a plain list. */
export function axisValues(axis: GridAxis): Param[] {
  if (Array.isArray(axis)) return axis;
  if ('product' in axis) {
    let vectors: Param[][] = [[]];
    for (const component of axis.product) {
      const next: Param[][] = [];
      for (const prefix of vectors) for (const v of component) next.push([...prefix, v]);
      vectors = next;
    }
    return vectors;
  }
  const [start, stop, num] = axis.linspace;
  if (num === 1) return [start];
  // Round to 12 significant digits so 0.1 steps read as 0.1, not 0.30000000000000004.
  return Array.from({ length: num }, (_, i) => Number((start + ((stop - start) * i) / (num - 1)).toPrecision(12)));
}

/** Number of points of the cross product, without expanding it (may exceed 2^53 only as Infinity). */
export function gridPoints(axes: readonly Axis[]): number {
  return axes.reduce((n, [, values]) => n * values.length, 1);
}

/**
 * Cross product of the axes, the last axis varying fastest; `fixed` params are merged into every
 * point (grid keys never overlap fixed keys: the spec validator rejects that).
 */
export function* expandGrid(axes: readonly Axis[], fixed: Params = {}): Generator<Params> {
  const n = axes.length;
  const idx = new Array<number>(n).fill(0);
  if (axes.some(([, values]) => values.length === 0)) return;
  for (;;) {
    const point: Params = { ...fixed };
    for (let i = 0; i < n; i++) {
      const [key, values] = axes[i]!;
      point[key] = values[idx[i]!]!;
    }
    yield point;
    let k = n - 1;
    while (k >= 0) {
      idx[k]! += 1;
      if (idx[k]! < axes[k]![1].length) break;
      idx[k] = 0;
      k--;
    }
    if (k < 0) return;
  }
}
